import type { BigDecimal, Field, FieldType, LocalDateTime, Schema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";

/**
 * Field paths, Beam's FieldAccessDescriptor in its string form: `"id"`, `"customer.name"`
 * (a field of a nested row), `"customer.*"` (every field of one). The static types check the
 * names against the row type; the runtime functions resolve them against the Schema, which
 * is the truth when the row type is only `Record<string, unknown>` (a schema read from a file).
 */

/** Values that are objects in JS but single values in a schema: never walked into by a path. */
type NotARow = BigDecimal | LocalDateTime | Uint8Array | Iterable<unknown> | ReadonlyMap<unknown, unknown> | { readonly case: string; readonly value: unknown };

/** The row type of a nested row field (null removed), or never when the field is not a row. */
export type NestedRow<V> = NonNullable<V> extends object ? (NonNullable<V> extends NotARow ? never : NonNullable<V>) : never;

/** Depth limit of the path types: deep enough for real schemas, shallow enough for the compiler. */
type Depth = [never, 0, 1, 2, 3];

/**
 * Every path into a row type: top-level names, `a.b` for nested rows and `a.*` for all of a
 * nested row's fields, to four levels.
 *
 * @example
 * type P = FieldPath<{ id: bigint; customer: { name: string } }>; // "id" | "customer" | "customer.*" | "customer.name"
 */
export type FieldPath<R, D extends number = 4> = [D] extends [never]
  ? never
  : {
      [K in keyof R & string]: [NestedRow<R[K]>] extends [never] ? K : K | `${K}.*` | `${K}.${FieldPath<NestedRow<R[K]>, Depth[D]>}`;
    }[keyof R & string];

/** The same paths without wildcards: paths that name one field. */
export type FieldName<R> = Exclude<FieldPath<R>, `${string}*`>;

/** `V`, or `V | null` when `Parent` may be null: a field of a null row reads as null. */
type OrNullIn<Parent, V> = null extends Parent ? V | null : V;

/**
 * The type of the value a path names; null joins it when a row on the way is nullable.
 *
 * @example
 * type V = PathValue<{ customer: { name: string } | null }, "customer.name">; // string | null
 */
export type PathValue<R, P extends string> = P extends `${infer H}.${infer T}`
  ? H extends keyof R
    ? OrNullIn<R[H], PathValue<NestedRow<R[H]>, T>>
    : never
  : P extends keyof R
    ? R[P]
    : never;

/** The last name of a path: `"customer.name"` gives `"name"`. */
export type LastName<P extends string> = P extends `${string}.${infer T}` ? LastName<T> : P;

/** Flattens an intersection of object types into one object type, for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** An intersection of the members of a union. */
export type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** One step of a resolved path: the field and the type it has where it is read (nullable when a parent is). */
export interface ResolvedField {
  /** The path's names, top level first. */
  readonly names: readonly string[];
  /** The field the path ends at. */
  readonly field: Field;
  /** The field's type, nullable when the field or any row on the way is nullable. */
  readonly type: FieldType;
}

/** Splits a path and refuses empty names (`"a..b"`, `""`). */
export function splitPath(path: string, where: string): string[] {
  const names = typeof path === "string" ? path.split(".") : [];
  if (names.length === 0 || names.some((n) => n.length === 0)) {
    throw new ConstructionError(`${where}: "${String(path)}" is not a field path; write names separated by dots, as "customer.name".`);
  }
  return names;
}

/** The field of `schema` named `name`, or a ConstructionError that lists the fields there are. */
export function fieldNamed(schema: Schema, name: string, where: string, prefix = ""): Field {
  const field = schema.fields.find((f) => f.name === name);
  if (field === undefined) {
    const names = schema.fields.map((f) => `${prefix}${f.name}`);
    throw new ConstructionError(`${where}: the schema has no field "${prefix}${name}". Its fields are: ${names.join(", ")}.`);
  }
  return field;
}

/**
 * Resolves a path that names one field (no wildcard) against a schema.
 *
 * @example
 * resolveField(orderSchema, "customer.name", "select").type; // { kind: "atomic", type: "STRING", nullable: true } when customer is nullable
 */
export function resolveField(schema: Schema, path: string, where: string): ResolvedField {
  const names = splitPath(path, where);
  let current = schema;
  let nullable = false;
  let field: Field | undefined;
  for (let i = 0; i < names.length; i++) {
    field = fieldNamed(current, names[i]!, where, names.slice(0, i).map((n) => `${n}.`).join(""));
    nullable ||= field.type.nullable === true;
    if (i < names.length - 1) current = rowSchemaOf(field, names.slice(0, i + 1).join("."), where);
  }
  const type = nullable ? { ...field!.type, nullable: true } : field!.type;
  return { names, field: field!, type };
}

/** The schema of a nested row field, or a ConstructionError when the field is not a row. */
export function rowSchemaOf(field: Field, path: string, where: string): Schema {
  if (field.type.kind !== "row") {
    throw new ConstructionError(`${where}: "${path}" is not a row (it is ${field.type.kind === "atomic" ? field.type.type : field.type.kind}), so no field can be selected inside it.`);
  }
  return field.type.schema;
}

/** The value at a path of names in a row; null when a row on the way is null. */
export function readPath(row: unknown, names: readonly string[]): unknown {
  let value: unknown = row;
  for (const name of names) {
    if (value === null || value === undefined) return null;
    value = (value as Readonly<Record<string, unknown>>)[name];
  }
  return value ?? null;
}
