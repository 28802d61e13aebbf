import type { Field, FieldSpec, FieldType, Schema } from "../../model/index.js";
import { ConstructionError, fieldTypeMismatch } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { map } from "../map.js";
import { fieldNamed, rowSchemaOf, splitPath, type NestedRow, type Simplify, type UnionToIntersection } from "./field-path.js";
import { inputSchema, nullableType, withOutputSchema } from "./schema-input.js";

/**
 * Beam's AddFields: adds fields to every row, at the top level or inside nested rows
 * (`"customer.country"`), after the fields already there. A field with a default gets it in
 * every row; one without is nullable and null, as in Beam Java (a non-null field needs a value).
 */

/** A field to add: its type (then nullable, null in every row) or its type and default. */
export type NewField = FieldSpec<unknown> | { readonly type: FieldSpec<unknown>; readonly default: unknown };

/** The value type of an added field. */
type AddedValue<F> = F extends FieldSpec<infer V> ? V | null : F extends { readonly type: FieldSpec<infer V> } ? V : never;

/** `R` with the field at path `P` set to type `V`; a row on the way that may be null stays so. */
type SetPath<R, P extends string, V> = P extends `${infer H}.${infer T}`
  ? { readonly [K in keyof R]: K extends H ? (null extends R[K] ? SetPath<NestedRow<R[K]>, T, V> | null : SetPath<NestedRow<R[K]>, T, V>) : R[K] }
  : R & { readonly [K in P]: V };

/** The row type after adding fields `M` to `R`. */
export type AddedRow<R, M> = Simplify<UnionToIntersection<{ [K in keyof M & string]: SetPath<R, K, AddedValue<M[K]>> }[keyof M & string]>>;

/** One field to add, resolved: where, its field, and its value in every row. */
interface Addition {
  readonly names: readonly string[];
  readonly field: Field;
  readonly value: unknown;
}

/**
 * The output schema of adding fields, and the additions; ConstructionErrors for a name that
 * exists, a parent that is not a row, or a default that is not a value of the type.
 *
 * @example
 * addedSchema(orderSchema, { country: t.string() }, "addFields").schema.fields.at(-1); // { name: "country", type: nullable STRING }
 */
export function addedSchema(schema: Schema, fields: Readonly<Record<string, NewField>>, where: string): { schema: Schema; additions: readonly Addition[] } {
  const additions: Addition[] = Object.entries(fields).map(([path, spec]) => {
    const names = splitPath(path, where);
    const hasDefault = typeof spec === "object" && spec !== null && "default" in spec && "type" in spec;
    const fieldSpec = hasDefault ? (spec as { type: FieldSpec<unknown> }).type : (spec as FieldSpec<unknown>);
    if (fieldSpec === undefined || typeof fieldSpec !== "object" || !("type" in fieldSpec)) {
      throw new ConstructionError(`${where}: "${path}" needs a field type, as t.string(), or { type: t.string(), default: "" }.`);
    }
    const type: FieldType = hasDefault ? fieldSpec.type : nullableType(fieldSpec.type);
    const value = hasDefault ? (spec as { default: unknown }).default : null;
    const problem = fieldTypeMismatch(type, value, `${where}: the default of "${path}"`);
    if (problem !== undefined) throw new ConstructionError(`${problem}. Give a value of the field's type, or no default for a nullable field.`);
    return { names, field: { name: names.at(-1)!, type }, value };
  });
  if (additions.length === 0) throw new ConstructionError(`${where}: give at least one field to add.`);
  let out = schema;
  for (const a of additions) out = addAt(out, a.names, a.field, where, "");
  return { schema: out, additions };
}

function addAt(schema: Schema, names: readonly string[], field: Field, where: string, prefix: string): Schema {
  const [head, ...rest] = names;
  if (rest.length === 0) {
    if (schema.fields.some((f) => f.name === head)) {
      throw new ConstructionError(`${where}: the schema already has a field "${prefix}${head}"; drop or rename it first, or pick another name.`);
    }
    return { fields: [...schema.fields, field] };
  }
  const parent = fieldNamed(schema, head!, where, prefix);
  const nested = rowSchemaOf(parent, `${prefix}${head}`, where);
  const type = { ...parent.type, schema: addAt(nested, rest, field, where, `${prefix}${head}.`) } as FieldType;
  return { fields: schema.fields.map((f) => (f === parent ? { ...f, type } : f)) };
}

/** Copies `row` with `value` set at `names`; a null row on the way stays null. */
function setAt(row: unknown, names: readonly string[], value: unknown): unknown {
  if (row === null || row === undefined) return null;
  const [head, ...rest] = names;
  const copy = { ...(row as Readonly<Record<string, unknown>>) };
  copy[head!] = rest.length === 0 ? value : setAt(copy[head!], rest, value);
  return copy;
}

/** Adds the resolved fields to one row. */
export function addToRow(additions: readonly Addition[], row: unknown): unknown {
  return additions.reduce((r, a) => setAt(r, a.names, a.value), row);
}

/**
 * Beam's AddFields: adds fields, top-level or nested (`"customer.country"`), to every row. A
 * field given by its type alone is nullable and null; `{ type, default }` sets the default.
 *
 * @example
 * const tagged = orders.apply(addFields({ source: { type: t.string(), default: "web" }, note: t.string() }));
 * // rows gain source: string ("web") and note: string | null (null)
 */
export function addFields<R, const M extends Readonly<Record<string, NewField>>>(fields: M): PTransform<PCollection<R>, PCollection<AddedRow<R, M>>> {
  const label = `AddFields(${Object.keys(fields).join(", ")})`;
  return ptransform(label, (input: PCollection<R>) => {
    const { schema, additions } = addedSchema(inputSchema(input, label), fields, label);
    const rows = input.apply("Add", map((row: R) => addToRow(additions, row)));
    return withOutputSchema<AddedRow<R, M>>(rows, schema, "row");
  });
}

