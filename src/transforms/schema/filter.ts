import { ConstructionError } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { filter as elementFilter } from "../map.js";
import { readPath, resolveField, type FieldName, type PathValue } from "./field-path.js";
import { inputSchema, withOutputSchema } from "./schema-input.js";

/**
 * Beam's schema Filter (Java's Filter.create().whereFieldName(...)): keeps the rows whose
 * fields satisfy predicates. The fields are resolved against the input schema at
 * construction, so a misspelt name fails before the job runs; the output has the input's
 * schema.
 */

/** Predicates on fields by path: each gets the field's value (null through a null row). */
export type FieldPredicates<R> = { readonly [P in FieldName<R>]?: (value: PathValue<R, P>) => boolean };

/** Filters rows by field predicates, all of which must hold. */
function whereFields<R>(predicates: FieldPredicates<R>): PTransform<PCollection<R>, PCollection<R>> {
  const entries = Object.entries(predicates) as [string, (value: unknown) => boolean][];
  const label = `Filter(${entries.map(([p]) => p).join(", ")})`;
  return ptransform(label, (input: PCollection<R>) => {
    const schema = inputSchema(input, label);
    if (entries.length === 0) throw new ConstructionError(`${label}: give at least one field predicate, as filter.where({ amount: (v) => v > 10 }).`);
    const checks = entries.map(([path, predicate]) => {
      if (typeof predicate !== "function") throw new ConstructionError(`${label}: the predicate of "${path}" must be a function of the field's value.`);
      return { names: resolveField(schema, path, label).names, predicate };
    });
    const kept = input.apply(
      "Where",
      elementFilter((row: R) => checks.every((c) => c.predicate(readPath(row, c.names)))),
    );
    return withOutputSchema<R>(kept, schema, "filtered");
  });
}

/**
 * Keeps the elements for which `predicate` holds (see the elementwise `filter`), and for rows
 * with a schema, `filter.whereField(path, predicate)` and `filter.where({ path: predicate })`:
 * Beam's schema Filter, keeping the rows whose fields satisfy predicates, typed by the field.
 *
 * @example
 * const big = orders.apply(filter.whereField("amount", (v) => v > 10));
 * const local = orders.apply(filter.where({ "customer.zip": (z) => z === "12345", amount: (v) => v > 0 }));
 */
export const filter: typeof elementFilter & {
  /** Keeps the rows whose field at `path` satisfies `predicate`. */
  whereField<R, const P extends FieldName<R>>(path: P, predicate: (value: PathValue<R, P>) => boolean): PTransform<PCollection<R>, PCollection<R>>;
  /** Keeps the rows whose fields satisfy every predicate. */
  where<R>(predicates: FieldPredicates<R>): PTransform<PCollection<R>, PCollection<R>>;
} = Object.assign(((...args: Parameters<typeof elementFilter>) => elementFilter(...args)) as typeof elementFilter, {
  whereField<R, const P extends FieldName<R>>(path: P, predicate: (value: PathValue<R, P>) => boolean): PTransform<PCollection<R>, PCollection<R>> {
    return whereFields<R>({ [path]: predicate } as unknown as FieldPredicates<R>);
  },
  where: whereFields,
});
