import type { Field, Schema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { map } from "../map.js";
import { fieldNamed, readPath, resolveField, rowSchemaOf, splitPath, type FieldPath, type LastName, type NestedRow, type PathValue, type Simplify, type UnionToIntersection } from "./field-path.js";
import { inputSchema, nullableType, requireDistinctNames, withOutputSchema } from "./schema-input.js";

/**
 * Beam's Select: projects rows onto some of their fields, nested ones included. As Beam
 * Java's Select.fieldNames, a selected nested field becomes a top-level field named by its
 * last name (`"customer.name"` gives `name`), and `"customer.*"` gives every field of
 * `customer` at the top level; fields read through a nullable row become nullable. Two
 * outputs of one name are refused: name them with the object form, as Java's withFieldNameAs.
 */

/** The output fields of one selected path. */
type Selected<R, P extends string> = P extends "*"
  ? R
  : P extends `${infer Row}.*`
    ? { readonly [K in keyof NestedRow<PathValue<R, Row>>]: null extends PathValue<R, Row> ? NestedRow<PathValue<R, Row>>[K] | null : NestedRow<PathValue<R, Row>>[K] }
    : { readonly [K in LastName<P>]: PathValue<R, P> };

/** The row type `select(...paths)` outputs. */
export type SelectedRow<R, P extends string> = Simplify<UnionToIntersection<Selected<R, P>>>;

/** The row type `select({ name: path })` outputs. */
export type NamedSelectedRow<R, M extends Readonly<Record<string, string>>> = { readonly [K in keyof M]: PathValue<R, M[K]> };

/** A computed projection: the output schema and how to read each output field from an input row. */
export interface Projection {
  readonly schema: Schema;
  /** Per output field, the path of names it is read from. */
  readonly paths: readonly (readonly string[])[];
}

/**
 * The output schema of a selection (paths, or output names to paths), as Beam's Select
 * computes it; ConstructionErrors name the transform, the path and the fields there are.
 *
 * @example
 * projection(orderSchema, ["id", "customer.name"], "select").schema.fields.map((f) => f.name); // ["id", "name"]
 */
export function projection(schema: Schema, selection: readonly string[] | Readonly<Record<string, string>>, where: string): Projection {
  const fields: Field[] = [];
  const paths: string[][] = [];
  const named = !Array.isArray(selection);
  const entries: [string | undefined, string][] = named ? Object.entries(selection as Readonly<Record<string, string>>) : (selection as readonly string[]).map((p) => [undefined, p]);
  if (entries.length === 0) throw new ConstructionError(`${where}: select at least one field.`);
  for (const [as, path] of entries) {
    if (path === "*" || path.endsWith(".*")) {
      if (as !== undefined) throw new ConstructionError(`${where}: "${path}" selects several fields and cannot be named "${as}"; name each field instead.`);
      const prefix = path === "*" ? [] : splitPath(path.slice(0, -2), where);
      const { schema: nested, nullable } = nestedRow(schema, prefix, where);
      for (const f of nested.fields) {
        fields.push({ name: f.name, type: nullable ? nullableType(f.type) : f.type });
        paths.push([...prefix, f.name]);
      }
      continue;
    }
    const resolved = resolveField(schema, path, where);
    fields.push({ name: as ?? resolved.names.at(-1)!, type: resolved.type });
    paths.push([...resolved.names]);
  }
  requireDistinctNames(
    fields.map((f) => f.name),
    where,
    `Name the fields yourself: select({ customerName: "customer.name", ... }).`,
  );
  return { schema: { fields }, paths };
}

/** The schema of the row at `names` (the input schema for none), and whether a row on the way is nullable. */
function nestedRow(schema: Schema, names: readonly string[], where: string): { schema: Schema; nullable: boolean } {
  let current = schema;
  let nullable = false;
  names.forEach((name, i) => {
    const field = fieldNamed(current, name, where, names.slice(0, i).map((n) => `${n}.`).join(""));
    nullable ||= field.type.nullable === true;
    current = rowSchemaOf(field, names.slice(0, i + 1).join("."), where);
  });
  return { schema: current, nullable };
}

/** Builds an output row of a projection from an input row. */
export function project(p: Projection, row: unknown): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  p.schema.fields.forEach((f, i) => {
    out[f.name] = readPath(row, p.paths[i]!);
  });
  return out;
}

/**
 * Beam's Select: keeps some fields of each row. Nested fields (`"customer.name"`) come out at
 * the top level under their last name, `"customer.*"` gives all of a nested row's fields, and
 * `"*"` all top-level ones. The object form names the outputs (Java's withFieldNameAs). Names
 * are checked by the compiler against the input's row type, and at construction against its
 * schema.
 *
 * @example
 * const slim = orders.apply(select("id", "customer.name")); // PCollection<{ id: bigint; name: string }>
 * const named = orders.apply(select({ orderId: "id", customer: "customer.name" }));
 */
export function select<R, const P extends FieldPath<R> | "*">(...paths: readonly P[]): PTransform<PCollection<R>, PCollection<SelectedRow<R, P>>>;
export function select<R, const M extends Readonly<Record<string, Exclude<FieldPath<R>, `${string}*`>>>>(names: M): PTransform<PCollection<R>, PCollection<NamedSelectedRow<R, M>>>;
export function select<R>(...args: readonly (string | Readonly<Record<string, string>>)[]): PTransform<PCollection<R>, PCollection<never>> {
  const selection = args.length === 1 && typeof args[0] === "object" ? (args[0] as Readonly<Record<string, string>>) : (args as readonly string[]);
  const label = Array.isArray(selection) ? `Select(${selection.join(", ")})` : `Select(${Object.values(selection).join(", ")})`;
  return ptransform(label, (input: PCollection<R>) => {
    const p = projection(inputSchema(input, label), selection, label);
    const rows = input.apply("Project", map((row: R) => project(p, row)));
    return withOutputSchema<never>(rows, p.schema, "selected");
  });
}
