import type { KV, Schema } from "../../model/index.js";
import { ConstructionError, describeFieldType, kv } from "../../model/index.js";
import { kvCoder, rowCoder, type Row } from "../../coders/index.js";
import { ptransform, type PCollection } from "../../pipeline/index.js";
import { coGroupByKey } from "../co-group-by-key.js";
import { flatMap, map } from "../map.js";
import type { FieldName } from "./field-path.js";
import { project, projection, type Projection, type SelectedRow } from "./select.js";
import { inputSchema, sameType, withOutputSchema } from "./schema-input.js";

/**
 * Beam's schema CoGroup of two or more PCollections with schemas, by fields of the same names
 * in each: `by` gives Java's CoGroup output, `{ key, [input]: rows }` per key; `crossProductJoin`
 * Java's crossProductJoin, one row `{ [input]: row }` per combination of one row of every input
 * with the key (an inner join of all inputs). CoGroup keys group as GROUP BY does (a null key
 * is a key); the cross-product join, a join, matches no null key.
 */

/** The element types of a record of PCollections. */
type RowsOf<I> = { readonly [Tag in keyof I]: I[Tag] extends PCollection<infer R> ? R : never };

/** Field names every input has. */
type CommonField<I> = { [Tag in keyof I]: FieldName<RowsOf<I>[Tag]> }[keyof I];

/** The inputs of a CoGroup, waiting for the key fields. */
export interface PendingCoGroup<I> {
  /** Per key: the key row and each input's rows with it, `{ key, [input]: rows }`. */
  by<const F extends CommonField<I>>(...fields: readonly F[]): PCollection<{ readonly key: SelectedRow<RowsOf<I>[keyof I], F> } & { readonly [Tag in keyof I]: readonly RowsOf<I>[Tag][] }>;
  /** Per key: one row per combination of a row of every input, `{ [input]: row }` (an inner join of all). */
  crossProductJoin<const F extends CommonField<I>>(...fields: readonly F[]): PCollection<RowsOf<I>>;
}

/** Every combination of one element of each list. */
export function crossProduct(lists: readonly (readonly unknown[])[]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((prefix) => list.map((x) => [...prefix, x])), [[]]);
}

/**
 * Beam's schema CoGroup of several PCollections by fields named alike in each.
 *
 * @example
 * const perUser = coGroup({ orders, visits }).by("userId"); // { key: { userId }, orders: Order[], visits: Visit[] }
 * const all = coGroup({ orders, visits, users }).crossProductJoin("userId"); // { orders: Order, visits: Visit, users: User }
 */
export function coGroup<I extends Readonly<Record<string, PCollection<unknown>>>>(inputs: I, name = "CoGroup"): PendingCoGroup<I> {
  const tags = Object.keys(inputs);
  if (tags.length < 2) throw new ConstructionError(`${name}: give two or more inputs, as coGroup({ orders, users }).`);
  const plan = (ins: I, fields: readonly string[]) => {
    if (fields.length === 0) throw new ConstructionError(`${name}: give the key fields, as .by("userId").`);
    const sides = tags.map((tag) => {
      const schema = inputSchema(ins[tag]!, `${name} (input ${tag})`);
      return { tag, schema, key: projection(schema, fields, `${name} (input ${tag})`) };
    });
    const keySchema = sharedKey(sides, name);
    const keyed = Object.fromEntries(
      sides.map((s) => [
        s.tag,
        ins[s.tag]!.apply(`Key(${s.tag})`, map((row: unknown) => kv(project(s.key, row) as Row, row))).withCoder(kvCoder(rowCoder(keySchema, { name: "key" }), ins[s.tag]!.coder as never) as never),
      ]),
    ) as Record<string, PCollection<KV<unknown, unknown>>>;
    return { sides, keySchema, grouped: coGroupByKey(keyed) as PCollection<KV<Row, Readonly<Record<string, unknown[]>>>> };
  };
  /** Applies the whole CoGroup as one composite over the inputs, so its steps nest under its name. */
  const applied = (label: string, expand: (ins: I) => PCollection<unknown>): PCollection<unknown> =>
    inputs[tags[0]!]!.pipeline.applyTransform(inputs, name, ptransform(label, expand));
  return {
    by(...fields: readonly string[]) {
      return applied(name, (ins) => {
        const { sides, keySchema, grouped } = plan(ins, fields);
        const rows = grouped.apply("ToRows", map((e: KV<Row, Readonly<Record<string, unknown[]>>>) => ({ key: e.key, ...e.value })));
        const schema: Schema = {
          fields: [{ name: "key", type: { kind: "row", schema: keySchema } }, ...sides.map((s) => ({ name: s.tag, type: { kind: "iterable" as const, element: { kind: "row" as const, schema: s.schema } } }))],
        };
        return withOutputSchema(rows, schema, "coGrouped");
      });
    },
    crossProductJoin(...fields: readonly string[]) {
      return applied(name, (ins) => {
        const { sides, grouped } = plan(ins, fields);
        const rows = grouped.apply(
          "CrossProduct",
          flatMap((e: KV<Row, Readonly<Record<string, unknown[]>>>) =>
            Object.values(e.key).some((v) => v === null || v === undefined) ? [] : crossProduct(tags.map((t) => e.value[t]!)).map((combination) => Object.fromEntries(tags.map((t, i) => [t, combination[i]]))),
          ),
        );
        const schema: Schema = { fields: sides.map((s) => ({ name: s.tag, type: { kind: "row" as const, schema: s.schema } })) };
        return withOutputSchema(rows, schema, "joined");
      });
    },
  } as PendingCoGroup<I>;
}

/** The key schema all inputs share; their key fields must have the same types (nullable if any input's is). */
function sharedKey(sides: readonly { readonly tag: string; readonly key: Projection }[], where: string): Schema {
  const [first, ...rest] = sides;
  const fields = first!.key.schema.fields.map((f, i) => {
    let nullable = f.type.nullable === true;
    for (const s of rest) {
      const other = s.key.schema.fields[i]!.type;
      if (!sameType(f.type, other, true)) {
        throw new ConstructionError(`${where}: the key field "${f.name}" is ${describeFieldType(f.type)} in ${first!.tag} but ${describeFieldType(other)} in ${s.tag}; cast one input first.`);
      }
      nullable ||= other.nullable === true;
    }
    return { name: f.name, type: { ...f.type, nullable } };
  });
  return { fields };
}
