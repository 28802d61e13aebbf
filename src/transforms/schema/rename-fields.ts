import type { Schema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { map } from "../map.js";
import { resolveField, type FieldName, type NestedRow } from "./field-path.js";
import { inputSchema, requireDistinctNames, withOutputSchema } from "./schema-input.js";

/**
 * Beam's RenameFields: gives fields new names, top-level or nested (`{ "customer.name":
 * "fullName" }` renames the field inside `customer`), keeping the order and types. A rename
 * that makes two fields of one row share a name is refused.
 */

/** The first name of each nested path in `P`. */
type HeadOf<P> = P extends `${infer H}.${string}` ? H : never;
/** The renames under `K.`, with `K.` removed. */
type SubRenames<M, K extends string> = { readonly [P in keyof M as P extends `${K}.${infer T}` ? T : never]: M[P] };

/** The row type after the renames `M` (old path to new name). */
export type RenamedRow<R, M> = {
  readonly [K in keyof R as K extends keyof M ? (M[K] extends string ? M[K] : K) : K]: K extends HeadOf<keyof M>
    ? null extends R[K]
      ? RenamedRow<NestedRow<R[K]>, SubRenames<M, K & string>> | null
      : RenamedRow<NestedRow<R[K]>, SubRenames<M, K & string>>
    : R[K];
};

/** A tree of renames: the new name of a field, and renames inside it. */
interface RenameNode {
  to?: string;
  readonly inner: Map<string, RenameNode>;
}

/**
 * The schema after the renames; ConstructionErrors for unknown paths, empty names and clashes.
 *
 * @example
 * renamedSchema(orderSchema, { id: "orderId" }, "renameFields");
 */
export function renamedSchema(schema: Schema, renames: Readonly<Record<string, string>>, where: string): { schema: Schema; tree: Map<string, RenameNode> } {
  const entries = Object.entries(renames);
  if (entries.length === 0) throw new ConstructionError(`${where}: give at least one rename, as { oldName: "newName" }.`);
  const tree = new Map<string, RenameNode>();
  for (const [path, to] of entries) {
    if (typeof to !== "string" || to.length === 0 || to.includes(".")) {
      throw new ConstructionError(`${where}: the new name of "${path}" must be a non-empty name without dots, got ${JSON.stringify(to)}.`);
    }
    let node: RenameNode | undefined;
    let level = tree;
    for (const n of resolveField(schema, path, where).names) {
      node = level.get(n) ?? { inner: new Map() };
      level.set(n, node);
      level = node.inner;
    }
    node!.to = to;
  }
  return { schema: renameIn(schema, tree, where, ""), tree };
}

function renameIn(schema: Schema, tree: Map<string, RenameNode>, where: string, prefix: string): Schema {
  const fields = schema.fields.map((f) => {
    const node = tree.get(f.name);
    if (node === undefined) return f;
    const type = node.inner.size > 0 && f.type.kind === "row" ? { ...f.type, schema: renameIn(f.type.schema, node.inner, where, `${prefix}${f.name}.`) } : f.type;
    return { ...f, name: node.to ?? f.name, type };
  });
  requireDistinctNames(
    fields.map((f) => f.name),
    `${where}${prefix === "" ? "" : ` (in "${prefix.slice(0, -1)}")`}`,
    "Pick names that differ from the other fields'.",
  );
  return { fields };
}

/** Copies a row with its fields renamed. */
export function renameInRow(tree: ReadonlyMap<string, RenameNode>, row: unknown): unknown {
  if (row === null || row === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row as Readonly<Record<string, unknown>>)) {
    const node = tree.get(name);
    out[node?.to ?? name] = node !== undefined && node.inner.size > 0 ? renameInRow(node.inner, value) : value;
  }
  return out;
}

/**
 * Beam's RenameFields: renames fields of every row, old path to new name.
 *
 * @example
 * const renamed = orders.apply(renameFields({ id: "orderId", "customer.name": "fullName" }));
 */
export function renameFields<R, const M extends { readonly [P in FieldName<R>]?: string }>(renames: M): PTransform<PCollection<R>, PCollection<RenamedRow<R, M>>> {
  const label = `RenameFields(${Object.entries(renames).map(([a, b]) => `${a} -> ${String(b)}`).join(", ")})`;
  return ptransform(label, (input: PCollection<R>) => {
    const { schema, tree } = renamedSchema(inputSchema(input, label), renames as Readonly<Record<string, string>>, label);
    const rows = input.apply("Rename", map((row: R) => renameInRow(tree, row)));
    return withOutputSchema<RenamedRow<R, M>>(rows, schema, "row");
  });
}
