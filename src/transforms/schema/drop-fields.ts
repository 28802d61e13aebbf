import type { Schema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { map } from "../map.js";
import { resolveField, type FieldName, type NestedRow } from "./field-path.js";
import { inputSchema, withOutputSchema } from "./schema-input.js";

/**
 * Beam's DropFields: removes fields, top-level or nested (`"customer.zip"`), keeping the
 * others in their order. Dropping every field of a row is refused: a row needs a field.
 */

/** The first name of each nested path in `P`. */
type HeadOf<P> = P extends `${infer H}.${string}` ? H : never;
/** The rest of the paths in `P` that start with `K.`. */
type TailOf<P, K extends string> = P extends `${K}.${infer T}` ? T : never;

/** The row type after dropping the paths `P` from `R`. */
export type DroppedRow<R, P extends string> = {
  readonly [K in keyof R as K extends P ? never : K]: K extends HeadOf<P>
    ? null extends R[K]
      ? DroppedRow<NestedRow<R[K]>, TailOf<P, K & string>> | null
      : DroppedRow<NestedRow<R[K]>, TailOf<P, K & string>>
    : R[K];
};

/** A tree of the names to drop: an empty tree drops the field itself. */
type DropTree = Map<string, DropTree>;

/**
 * The schema without the dropped paths; ConstructionErrors for unknown paths and for rows
 * that would be left without fields.
 *
 * @example
 * droppedSchema(orderSchema, ["customer.zip"], "dropFields");
 */
export function droppedSchema(schema: Schema, paths: readonly string[], where: string): { schema: Schema; tree: DropTree } {
  if (paths.length === 0) throw new ConstructionError(`${where}: give at least one field to drop.`);
  const tree: DropTree = new Map();
  for (const path of paths) {
    const { names } = resolveField(schema, path, where);
    let node = tree;
    names.forEach((n, i) => {
      if (node.has(n) && node.get(n)!.size === 0) return; // the whole field is dropped already
      if (i === names.length - 1) {
        node.set(n, new Map());
      } else {
        if (!node.has(n)) node.set(n, new Map());
        node = node.get(n)!;
      }
    });
  }
  return { schema: dropIn(schema, tree, where, ""), tree };
}

function dropIn(schema: Schema, tree: DropTree, where: string, prefix: string): Schema {
  const fields = schema.fields.flatMap((f) => {
    const sub = tree.get(f.name);
    if (sub === undefined) return [f];
    if (sub.size === 0) return [];
    if (f.type.kind !== "row") return [f];
    return [{ ...f, type: { ...f.type, schema: dropIn(f.type.schema, sub, where, `${prefix}${f.name}.`) } }];
  });
  if (fields.length === 0) {
    throw new ConstructionError(`${where}: dropping these fields leaves ${prefix === "" ? "the row" : `"${prefix.slice(0, -1)}"`} without fields; drop ${prefix === "" ? "fewer fields" : `"${prefix.slice(0, -1)}" itself`} instead.`);
  }
  return { fields };
}

/** Copies a row without the dropped fields. */
export function dropFromRow(tree: DropTree, row: unknown): unknown {
  if (row === null || row === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row as Readonly<Record<string, unknown>>)) {
    const sub = tree.get(name);
    if (sub === undefined) out[name] = value;
    else if (sub.size > 0) out[name] = dropFromRow(sub, value);
  }
  return out;
}

/**
 * Beam's DropFields: removes fields from every row, top-level or nested.
 *
 * @example
 * const slim = orders.apply(dropFields("tags", "address.zip"));
 */
export function dropFields<R, const P extends FieldName<R>>(...paths: readonly P[]): PTransform<PCollection<R>, PCollection<DroppedRow<R, P>>> {
  const label = `DropFields(${paths.join(", ")})`;
  return ptransform(label, (input: PCollection<R>) => {
    const { schema, tree } = droppedSchema(inputSchema(input, label), paths, label);
    const rows = input.apply("Drop", map((row: R) => dropFromRow(tree, row)));
    return withOutputSchema<DroppedRow<R, P>>(rows, schema, "row");
  });
}
