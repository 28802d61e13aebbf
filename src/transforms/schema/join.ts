import type { KV, Schema } from "../../model/index.js";
import { ConstructionError, describeFieldType, kv } from "../../model/index.js";
import { kvCoder, rowCoder, type Row } from "../../coders/index.js";
import { ptransform, type PCollection } from "../../pipeline/index.js";
import { coGroupByKey } from "../co-group-by-key.js";
import { flatten } from "../flatten.js";
import { filter as elementFilter, flatMap, map } from "../map.js";
import { parDo } from "../par-do.js";
import { asMultimap } from "../side-input-view.js";
import type { FieldName } from "./field-path.js";
import { project, projection, type Projection } from "./select.js";
import { inputSchema, nullableType, sameType, withOutputSchema } from "./schema-input.js";

/**
 * Beam's schema Join (Java's Join.innerJoin / leftOuterJoin / rightOuterJoin / fullOuterJoin,
 * `.using(...)` or `.on(FieldsEqual...)`), on CoGroupByKey: rows are keyed by their join
 * fields, co-grouped, and each key's rows are paired. Output rows are Java's: `{ lhs, rhs }`,
 * the side without a match null in outer joins. Join keys compare as SQL does: a row whose
 * join fields hold a null matches nothing (it is kept, unmatched, by an outer join), where
 * Beam Java's key rows would match null to null. The broadcast variant (Java's
 * innerBroadcastJoin, leftOuterBroadcastJoin) reads the right side as a side input instead
 * of shuffling the left one: for a small right side.
 */

/** Which rows without a match a join keeps: none, the left's, the right's, or both sides'. */
export type JoinType = "inner" | "leftOuter" | "rightOuter" | "fullOuter";

/** Options of `join`. */
export interface JoinOptions<T extends JoinType = JoinType> {
  /** Default "inner". */
  readonly type?: T;
  /**
   * Read the right side as a side input (every worker holds all of it) instead of
   * co-grouping: no shuffle of the left side. Only for inner and leftOuter joins.
   */
  readonly broadcast?: boolean;
  /** The transform's name; default `Join`. */
  readonly name?: string;
}

/** The output row of a join: the left row and the right one, null on the side an outer join found no match for. */
export type JoinedRow<L, R, T extends JoinType> = {
  readonly lhs: T extends "rightOuter" | "fullOuter" ? L | null : L;
  readonly rhs: T extends "leftOuter" | "fullOuter" ? R | null : R;
};

/** Field names on each side, compared pairwise (Java's FieldsEqual.left(...).right(...)). */
export interface JoinFields<L, R> {
  readonly left: FieldName<L> | readonly FieldName<L>[];
  readonly right: FieldName<R> | readonly FieldName<R>[];
}

/** The join of two PCollections, waiting for its join fields. */
export interface PendingJoin<L, R, T extends JoinType> {
  /** Joins on fields of the same names on both sides (Java's `using`). */
  on<const F extends FieldName<L> & FieldName<R>>(...fields: readonly F[]): PCollection<JoinedRow<L, R, T>>;
  /** Joins on the left fields equal to the right ones, pairwise. */
  on(fields: JoinFields<L, R>): PCollection<JoinedRow<L, R, T>>;
}

/** A side's key: the projection onto its join fields, and whether a row's key holds a null. */
interface Side {
  readonly schema: Schema;
  readonly key: Projection;
}

const hasNull = (key: Readonly<Record<string, unknown>>): boolean => Object.values(key).some((v) => v === null || v === undefined);

/** The join's key schema (non-null: null keys never reach the grouping), after checking both sides' key types agree. */
function keySchema(left: Side, right: Side, where: string): Schema {
  const l = left.key.schema.fields;
  const r = right.key.schema.fields;
  if (l.length !== r.length) throw new ConstructionError(`${where}: ${l.length} left join fields but ${r.length} right ones; give as many on each side.`);
  return {
    fields: l.map((f, i) => {
      const other = r[i]!;
      if (!sameType(f.type, other.type, true) && !(f.type.kind === "row" && sameType({ ...f.type, nullable: false }, { ...other.type, nullable: false }))) {
        throw new ConstructionError(
          `${where}: the join fields "${left.key.paths[i]!.join(".")}" (${describeFieldType(f.type)}) and "${right.key.paths[i]!.join(".")}" (${describeFieldType(other.type)}) have different types; cast one side first.`,
        );
      }
      return { name: `k${i}`, type: { ...f.type, nullable: false } };
    }),
  };
}

/** The key row of a row, under the shared key field names. */
function keyOf(side: Side, row: unknown): Readonly<Record<string, unknown>> {
  return project(side.key, row);
}

/** The output schema: `lhs` and `rhs` rows, nullable on the sides an outer join may leave empty. */
function joinedSchema(left: Schema, right: Schema, type: JoinType): Schema {
  const lhs = { kind: "row" as const, schema: left };
  const rhs = { kind: "row" as const, schema: right };
  return {
    fields: [
      { name: "lhs", type: type === "rightOuter" || type === "fullOuter" ? nullableType(lhs) : lhs },
      { name: "rhs", type: type === "leftOuter" || type === "fullOuter" ? nullableType(rhs) : rhs },
    ],
  };
}

/**
 * The rows of one key's join: every pair of a left and a right row, and for an outer join
 * the rows of the kept side that have no partner, paired with null. The reference semantics
 * the property tests compare against a nested loop.
 */
export function joinGroup(lefts: readonly unknown[], rights: readonly unknown[], type: JoinType): { lhs: unknown; rhs: unknown }[] {
  const out: { lhs: unknown; rhs: unknown }[] = [];
  for (const l of lefts) for (const r of rights) out.push({ lhs: l, rhs: r });
  if (rights.length === 0 && (type === "leftOuter" || type === "fullOuter")) for (const l of lefts) out.push({ lhs: l, rhs: null });
  if (lefts.length === 0 && (type === "rightOuter" || type === "fullOuter")) for (const r of rights) out.push({ lhs: null, rhs: r });
  return out;
}

/**
 * Beam's schema Join of two PCollections with schemas, by field names: `.on("id")` for
 * fields named alike on both sides, `.on({ left: "customerId", right: "id" })` otherwise.
 * Output rows are `{ lhs, rhs }`; the types say which side may be null.
 *
 * @example
 * const withCustomer = join(orders, customers, { type: "leftOuter" }).on({ left: "customerId", right: "id" });
 * // PCollection<{ lhs: Order; rhs: Customer | null }>
 * const small = join(orders, countries, { broadcast: true }).on("country");
 */
export function join<L, R, T extends JoinType = "inner">(lhs: PCollection<L>, rhs: PCollection<R>, options: JoinOptions<T> = {}): PendingJoin<L, R, T> {
  const type: JoinType = options.type ?? "inner";
  const name = options.name ?? (options.broadcast === true ? "BroadcastJoin" : "Join");
  if (!["inner", "leftOuter", "rightOuter", "fullOuter"].includes(type)) {
    throw new ConstructionError(`${name}: the join type must be "inner", "leftOuter", "rightOuter" or "fullOuter", got ${JSON.stringify(type)}.`);
  }
  if (options.broadcast === true && type !== "inner" && type !== "leftOuter") {
    throw new ConstructionError(`${name}: a broadcast join reads the right side as a side input, so it can only be "inner" or "leftOuter" (got "${type}"); swap the sides or leave out broadcast.`);
  }
  return {
    on(...args: readonly (string | JoinFields<L, R>)[]): PCollection<JoinedRow<L, R, T>> {
      const spec = args.length === 1 && typeof args[0] === "object" ? (args[0] as JoinFields<L, R>) : undefined;
      const leftFields = spec === undefined ? (args as readonly string[]) : ([] as string[]).concat(spec.left as string | string[]);
      const rightFields = spec === undefined ? (args as readonly string[]) : ([] as string[]).concat(spec.right as string | string[]);
      if (leftFields.length === 0) throw new ConstructionError(`${name}: give the join fields, as .on("id") or .on({ left: "customerId", right: "id" }).`);
      const leftSchema = inputSchema(lhs as PCollection<unknown>, `${name} (left input)`);
      const rightSchema = inputSchema(rhs as PCollection<unknown>, `${name} (right input)`);
      // Named k0, k1, ... on both sides, so the key rows of both sides are rows of one schema.
      const byPosition = (fields: readonly string[]) => Object.fromEntries(fields.map((f, i) => [`k${i}`, f]));
      const left: Side = { schema: leftSchema, key: projection(leftSchema, byPosition(leftFields), `${name} (left input)`) };
      const right: Side = { schema: rightSchema, key: projection(rightSchema, byPosition(rightFields), `${name} (right input)`) };
      const keys = keySchema(left, right, name);
      const output = joinedSchema(leftSchema, rightSchema, type);
      const rows = lhs.pipeline.applyTransform(
        { lhs, rhs },
        name,
        ptransform(name, (inputs: { readonly lhs: PCollection<L>; readonly rhs: PCollection<R> }) =>
          options.broadcast === true ? broadcastJoin(inputs.lhs, inputs.rhs, left, right, keys, type) : coGroupJoin(inputs.lhs, inputs.rhs, left, right, keys, type),
        ),
      );
      return withOutputSchema<JoinedRow<L, R, T>>(rows, output, "joined");
    },
  } as PendingJoin<L, R, T>;
}

/** Keys a side's rows that have no null in their key. */
function keyed<T>(pc: PCollection<T>, side: Side, keys: Schema, step: string): PCollection<KV<Row, T>> {
  return pc
    .apply(`DropNullKeys(${step})`, elementFilter((row: T) => !hasNull(keyOf(side, row))))
    .apply(`Key(${step})`, map((row: T) => kv(keyOf(side, row) as Row, row)))
    .withCoder(kvCoder(rowCoder(keys, { name: "joinKey" }), pc.coder as never) as never);
}

/** A side's rows whose key holds a null, paired with null: what an outer join keeps of them. */
function unmatchedNullKeys<T>(pc: PCollection<T>, side: Side, pair: (row: T) => { lhs: unknown; rhs: unknown }, step: string): PCollection<{ lhs: unknown; rhs: unknown }> {
  return pc.apply(`NullKeys(${step})`, flatMap((row: T) => (hasNull(keyOf(side, row)) ? [pair(row)] : [])));
}

function coGroupJoin<L, R>(lhs: PCollection<L>, rhs: PCollection<R>, left: Side, right: Side, keys: Schema, type: JoinType): PCollection<unknown> {
  const grouped = coGroupByKey({ lhs: keyed(lhs, left, keys, "Left"), rhs: keyed(rhs, right, keys, "Right") });
  const pairs = grouped.apply("Pair", flatMap((e: KV<Row, { lhs: L[]; rhs: R[] }>) => joinGroup(e.value.lhs, e.value.rhs, type)));
  const parts = [pairs];
  if (type === "leftOuter" || type === "fullOuter") parts.push(unmatchedNullKeys(lhs, left, (l) => ({ lhs: l, rhs: null }), "Left"));
  if (type === "rightOuter" || type === "fullOuter") parts.push(unmatchedNullKeys(rhs, right, (r) => ({ lhs: null, rhs: r }), "Right"));
  return parts.length === 1 ? pairs : lhs.pipeline.applyTransform(parts, "Flatten", flatten<{ lhs: unknown; rhs: unknown }>());
}

function broadcastJoin<L, R>(lhs: PCollection<L>, rhs: PCollection<R>, left: Side, right: Side, keys: Schema, type: JoinType): PCollection<unknown> {
  const view = asMultimap(keyed(rhs, right, keys, "Right"));
  return lhs.apply(
    "Lookup",
    parDo<L, { lhs: unknown; rhs: unknown }>(
      {
        process(row, ctx) {
          const key = keyOf(left, row);
          const matches = hasNull(key) ? [] : (ctx.sideInput(view).get(key as Row) ?? []);
          for (const pair of joinGroup([row], matches, type)) ctx.output(pair);
        },
      },
      { sideInputs: [view as never] },
    ),
  );
}
