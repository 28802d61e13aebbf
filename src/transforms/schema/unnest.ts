import type { Field, Schema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { map } from "../map.js";
import type { NestedRow, Simplify, UnionToIntersection } from "./field-path.js";
import { project, type Projection } from "./select.js";
import { inputSchema, nullableType, requireDistinctNames, withOutputSchema } from "./schema-input.js";

/**
 * Beam's Unnest (Java's Select.flattenedSchema()): every field of every nested row becomes
 * a top-level field, named by its path joined with "_" (`customer.address.zip` becomes
 * `customer_address_zip`, Java's CONCAT_FIELD_NAMES) or by its last name
 * (`keepMostNestedFieldName`). A field inside a nullable row becomes nullable. Arrays, maps
 * and iterables of rows are kept as they are.
 */

/** How flattened fields are named: the path joined with "_", or the last name. */
export type UnnestNaming = "concat" | "lastName";

/** Options of `unnest`. */
export interface UnnestOptions<N extends UnnestNaming = "concat"> {
  /** Default "concat" (Java's default); "lastName" fails when two fields would share a name. */
  readonly naming?: N;
}

type FlatFields<R, Prefix extends string, N extends UnnestNaming, Nullable extends boolean> = {
  [K in keyof R & string]: [NestedRow<R[K]>] extends [never]
    ? { readonly [X in N extends "concat" ? `${Prefix}${K}` : K]: Nullable extends true ? R[K] | null : R[K] }
    : FlatFields<NestedRow<R[K]>, `${Prefix}${K}_`, N, Nullable extends true ? true : null extends R[K] ? true : false>;
}[keyof R & string];

/** The row type `unnest` outputs. */
export type UnnestedRow<R, N extends UnnestNaming = "concat"> = Simplify<UnionToIntersection<FlatFields<R, "", N, false>>>;

/**
 * The flattened schema and where each field is read from.
 *
 * @example
 * unnestedSchema(orderSchema, "concat", "unnest").schema.fields.map((f) => f.name); // ["id", "customer_name", "customer_zip"]
 */
export function unnestedSchema(schema: Schema, naming: UnnestNaming, where: string): Projection {
  if (naming !== "concat" && naming !== "lastName") throw new ConstructionError(`${where}: naming must be "concat" or "lastName", got ${JSON.stringify(naming)}.`);
  const fields: Field[] = [];
  const paths: string[][] = [];
  const walk = (s: Schema, prefix: readonly string[], nullable: boolean): void => {
    for (const f of s.fields) {
      const path = [...prefix, f.name];
      if (f.type.kind === "row") {
        walk(f.type.schema, path, nullable || f.type.nullable === true);
      } else {
        fields.push({ name: naming === "concat" ? path.join("_") : f.name, type: nullable ? nullableType(f.type) : f.type });
        paths.push(path);
      }
    }
  };
  walk(schema, [], false);
  requireDistinctNames(
    fields.map((f) => f.name),
    where,
    `Use the default naming (paths joined with "_"), or select and name the fields with select({ ... }).`,
  );
  return { schema: { fields }, paths };
}

/**
 * Beam's Unnest: flattens nested rows into top-level fields.
 *
 * @example
 * const flat = orders.apply(unnest()); // { id, customer_name, customer_address_zip, ... }
 * const short = orders.apply(unnest({ naming: "lastName" })); // { id, name, zip, ... }
 */
export function unnest<R, N extends UnnestNaming = "concat">(options: UnnestOptions<N> = {}): PTransform<PCollection<R>, PCollection<UnnestedRow<R, N>>> {
  const naming = options.naming ?? "concat";
  const label = `Unnest(${naming})`;
  return ptransform(label, (input: PCollection<R>) => {
    const p = unnestedSchema(inputSchema(input, label), naming, label);
    const rows = input.apply("Flatten", map((row: R) => project(p, row)));
    return withOutputSchema<UnnestedRow<R, N>>(rows, p.schema, "unnested");
  });
}
