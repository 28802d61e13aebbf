import type { FieldSpec, KV, RowSchema, Schema } from "../../model/index.js";
import { kv } from "../../model/index.js";
import { kvCoder, rowCoder, type Row } from "../../coders/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { combineGlobally, combinePerKey } from "../combine.js";
import type { CombineFn } from "../combine-fn.js";
import { groupByKey } from "../group-by-key.js";
import { map } from "../map.js";
import { compositeCombineFn, resolveAggregations, type AggregationSpec } from "./aggregation.js";
import type { FieldName, PathValue, Simplify } from "./field-path.js";
import { project, projection, type SelectedRow } from "./select.js";
import { inputSchema, withOutputSchema } from "./schema-input.js";

/**
 * Beam's schema Group (Java's Group.byFieldNames / Group.globally, Python's GroupBy):
 * grouping rows by some of their fields, and aggregating fields per group with CombineFns.
 * The output rows are Beam Java's: `{ key, value }` with the key fields (named as select
 * names them) in `key`; `value` holds the group's rows (without aggregations) or the row of
 * aggregates. A global aggregation outputs the row of aggregates alone. Aggregations run as
 * one composite CombineFn in a Combine.perKey, so runners lift them.
 */

/** The output field an aggregation writes: its name, or its name and type when it cannot be inferred. */
export type AggregateAs<N extends string, V> = N | { readonly name: N; readonly type: FieldSpec<V> };

/** The value an aggregation writes: the given type's, Count's INT64 (bigint), or the CombineFn's output. */
type AggregateValue<I, O, As> = As extends { readonly type: FieldSpec<infer V> } ? V : unknown extends I ? (O extends number ? bigint : O) : O;

/** The output field name of an aggregation. */
type NameOf<As> = As extends { readonly name: infer N extends string } ? N : As & string;

/** `V` (undefined before the first aggregation) with the aggregate field `As` names. */
type WithAggregate<V, I, O, As> = Simplify<(V extends undefined ? unknown : V) & { readonly [K in NameOf<As>]: AggregateValue<I, O, As> }>;

/** The rows a grouping by fields `K` outputs with aggregates `V`. */
export type Grouped<K, V> = { readonly key: K; readonly value: V };

/**
 * What a Group outputs: without keys (`K` undefined) the row of aggregates `V`; with keys,
 * `{ key, value }` where value is the group's rows until something is aggregated.
 */
export type GroupOutput<R, K, V> = K extends undefined ? V : Grouped<K, V extends undefined ? Iterable<R> : V>;

/** Builds Group transforms; see `group`. */
/**
 * A Group transform and its builder: each aggregation returns a new one (immutable). `K` is
 * the key row type (undefined for a global aggregation), `V` the aggregates' row type
 * (undefined before the first).
 */
export class GroupBuilder<R, K, V> extends PTransform<PCollection<R>, PCollection<GroupOutput<R, K, V>>> {
  constructor(
    private readonly keys: readonly string[] | undefined,
    private readonly specs: readonly AggregationSpec[],
  ) {
    super(keys === undefined ? "Group.globally" : `Group.byFields(${keys.join(", ")})`);
  }

  /**
   * Aggregates one field (Java's aggregateField): `fn` gets the field's values (null where a
   * row on the way is null), its output goes to the field `as`. The output type is inferred
   * for sum, count (INT64), mean (DOUBLE), min, max and binary functions; give
   * `{ name, type }` for others.
   */
  aggregateField<const F extends FieldName<R>, I, A, O, const As extends AggregateAs<string, unknown>>(
    field: F,
    fn: CombineFn<I, A, O> & CombineFn<PathValue<R, F>, A, O>,
    as: As,
  ): GroupBuilder<R, K, WithAggregate<V, I, O, As>> {
    return this.with(field, fn as CombineFn<unknown, unknown, unknown>, as);
  }

  /**
   * Aggregates several fields together (Java's aggregateFields): `fn` gets a row of them,
   * named as select names them.
   */
  aggregateFields<const F extends FieldName<R>, I, A, O, const As extends AggregateAs<string, unknown>>(
    fields: readonly F[],
    fn: CombineFn<I, A, O> & CombineFn<SelectedRow<R, F>, A, O>,
    as: As,
  ): GroupBuilder<R, K, WithAggregate<V, I, O, As>> {
    return this.with(fields, fn as CombineFn<unknown, unknown, unknown>, as);
  }

  private with<W>(fields: string | readonly string[], fn: CombineFn<unknown, unknown, unknown>, as: AggregateAs<string, unknown>): GroupBuilder<R, K, W> {
    const spec: AggregationSpec = typeof as === "string" ? { fields, fn, as } : { fields, fn, as: as.name, type: as.type as FieldSpec<unknown> };
    return new GroupBuilder<R, K, W>(this.keys, [...this.specs, spec]);
  }

  expand(input: PCollection<R>): PCollection<GroupOutput<R, K, V>> {
    const schema = inputSchema(input, this.name);
    type Out = GroupOutput<R, K, V>;
    if (this.keys === undefined) {
      const { aggregations, schema: valueSchema } = resolveAggregations(schema, this.specs, this.name);
      const out = input.apply("Combine", combineGlobally(compositeCombineFn(aggregations, valueSchema)));
      return withOutputSchema<Out>(out, valueSchema, "aggregates");
    }
    const key = projection(schema, this.keys, this.name);
    const keyed = input
      .apply("ToKvs", map((row: R) => kv(project(key, row), row as Row)))
      .withCoder(kvCoder(rowCoder(key.schema, { name: "key" }), input.coder as never));
    if (this.specs.length === 0) {
      const grouped = keyed.apply("GroupByKey", groupByKey()).apply("ToRows", map((e: KV<Row, Iterable<Row>>) => ({ key: e.key, value: [...e.value] })));
      return withOutputSchema<Out>(grouped, outputSchema(key.schema, { kind: "iterable", element: { kind: "row", schema } }), "grouped");
    }
    const { aggregations, schema: valueSchema } = resolveAggregations(schema, this.specs, this.name);
    const combined = keyed
      .apply("Combine", combinePerKey(compositeCombineFn(aggregations, valueSchema)))
      .apply("ToRows", map((e: KV<Row, Row>) => ({ key: e.key, value: e.value })));
    return withOutputSchema<Out>(combined, outputSchema(key.schema, { kind: "row", schema: valueSchema }), "grouped");
  }
}

function outputSchema(keySchema: Schema, value: Schema["fields"][number]["type"]): Schema {
  return { fields: [{ name: "key", type: { kind: "row", schema: keySchema } }, { name: "value", type: value }] };
}

/** The loose row type of `group.byFields` without `group.of(S)`: any fields. */
type AnyRow = Readonly<Record<string, unknown>>;

/** Group transforms over rows of `R`. */
export interface GroupOf<R> {
  /**
   * Groups by fields (Java's Group.byFieldNames). Alone it outputs `{ key, value }` with the
   * group's rows in `value`; with aggregations, the row of aggregates.
   */
  byFields<const K extends FieldName<R>>(...fields: readonly K[]): GroupBuilder<R, SelectedRow<R, K>, undefined>;
  /** Aggregates all rows (per window; Java's Group.globally): the output is the row of aggregates. */
  globally(): Pick<GroupBuilder<R, undefined, undefined>, "aggregateField" | "aggregateFields">;
}

function groupOf<R>(): GroupOf<R> {
  return {
    byFields: (...fields) => new GroupBuilder(fields, []),
    globally: () => new GroupBuilder<R, undefined, undefined>(undefined, []),
  };
}

/**
 * Beam's schema Group. `group.of(S)` types the field names and values by the schema `S`;
 * `group.byFields`/`group.globally` accept any names (checked against the input's schema
 * when applied), because a chained builder cannot take its row type from `apply`.
 *
 * @example
 * const totals = orders.apply(group.of(Order).byFields("customer").aggregateField("amount", sum(), "total").aggregateField("id", count(), "orders"));
 * // PCollection<{ key: { customer: string }; value: { total: number; orders: bigint } }>
 * const all = orders.apply(group.globally().aggregateField("amount", sum(), "total")); // PCollection<{ total: number }>
 */
export const group = {
  /** Group transforms typed by the rows of `schema`. */
  of: <R>(_schema: RowSchema<R>): GroupOf<R> => groupOf<R>(),
  ...groupOf<AnyRow>(),
};

