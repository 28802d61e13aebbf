import type { Coder, FieldType, Schema } from "../../model/index.js";
import { ConstructionError, RowSchema } from "../../model/index.js";
import { CoderUrns } from "../../coders/index.js";
import type { PCollection } from "../../pipeline/index.js";

/**
 * What every schema transform does first and last: read the schema of its input (a
 * PCollection whose coder is Beam's RowCoder, set by `withSchema`) and attach the schema it
 * computed to its output. A transform without an input schema fails at construction: a
 * schema transform never guesses fields from values.
 */

/** The RowCoder's schema, if `coder` is one. */
function schemaOfCoder(coder: Coder<unknown>): Schema | undefined {
  if (coder.urn !== CoderUrns.row) return undefined;
  const schema = (coder as Coder<unknown> & { readonly schema?: Schema }).schema;
  return schema !== undefined && Array.isArray(schema.fields) ? schema : undefined;
}

/**
 * The schema of a transform's input, or a ConstructionError naming the transform and the fix.
 *
 * @example
 * const schema = inputSchema(orders, "select"); // orders was made with .withSchema(Order)
 */
export function inputSchema(input: PCollection<unknown>, transform: string): Schema {
  const schema = schemaOfCoder(input.coder);
  if (schema === undefined) {
    // The full label says which application failed when one transform is applied many times.
    const label = input.pipeline.currentLabel();
    throw new ConstructionError(
      `${label !== "" && label !== transform ? `${label}: ` : ""}${transform} needs a PCollection with a schema, but ${input.toString()} has none (its coder is ${String(input.coder)}). ` +
        `Attach one right after the transform that produces it: .withSchema(S), with S = schema({...}).`,
    );
  }
  return schema;
}

/** Sets the output's schema (and so its RowCoder) and gives it its static row type. */
export function withOutputSchema<R>(output: PCollection<unknown>, schema: Schema, name: string): PCollection<R> {
  return output.withSchema(new RowSchema<R>(schema, name)) as PCollection<R>;
}

/** `type`, nullable. */
export function nullableType(type: FieldType): FieldType {
  return type.nullable === true ? type : { ...type, nullable: true };
}

/** Refuses two output fields of one name, naming where they came from. */
export function requireDistinctNames(names: readonly string[], where: string, fix: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new ConstructionError(`${where}: the output would have two fields named "${n}". ${fix}`);
    seen.add(n);
  }
}

/**
 * Whether two field types are the same: nullability (unless ignored), logical types' URNs and
 * arguments, and nested rows' field names and order all count.
 */
export function sameType(a: FieldType, b: FieldType, ignoreNullable = false): boolean {
  if (a.kind !== b.kind || (!ignoreNullable && (a.nullable === true) !== (b.nullable === true))) return false;
  switch (a.kind) {
    case "atomic":
      return a.type === (b as typeof a).type;
    case "array":
    case "iterable":
      return sameType(a.element, (b as typeof a).element);
    case "map":
      return sameType(a.key, (b as typeof a).key) && sameType(a.value, (b as typeof a).value);
    case "row": {
      const other = (b as typeof a).schema.fields;
      return a.schema.fields.length === other.length && a.schema.fields.every((f, i) => f.name === other[i]!.name && sameType(f.type, other[i]!.type));
    }
    case "logical": {
      const o = b as typeof a;
      return a.urn === o.urn && sameType(a.representation, o.representation) && sameArgument(a.argument, o.argument);
    }
  }
}

function sameArgument(a: unknown, b: unknown): boolean {
  if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  return a === b;
}
