import { quoteIdentifier } from "./sql.js";

/**
 * One partition of a partitioned read: the rows whose partition column is in
 * `[lower, upper)` (an absent bound is open), plus the rows where it is NULL when `nulls`.
 * Bounds are text, bound as query parameters, so PostgreSQL reads them as the column's type.
 */
export interface ReadPartition {
  readonly lower: string | null;
  readonly upper: string | null;
  readonly nulls: boolean;
}

/** What the reading splittable DoFn gets: every partition of the read, as one element. */
export interface ReadPlan {
  readonly partitions: readonly ReadPartition[];
}

/** The whole query as one partition (no partition column). */
export const WHOLE_QUERY: ReadPartition = { lower: null, upper: null, nulls: true };

/**
 * Beam's JdbcIO.readWithPartitions ranges over `[min, max]` of an integer column: `count`
 * ranges of equal width (fewer when the span is smaller), the first open below and the last
 * open above and holding the NULLs, so every row is read exactly once whatever the bounds.
 *
 * @example rangesBetween(1n, 100n, 4) // (-∞,26) [26,51) [51,76) [76,+∞)+NULL
 */
export function rangesBetween(min: bigint, max: bigint, count: number): ReadPartition[] {
  const span = max - min + 1n;
  const n = span < BigInt(count) ? Number(span) : count;
  if (n <= 1) return [WHOLE_QUERY];
  const stride = span / BigInt(n);
  const splits: string[] = [];
  for (let i = 1; i < n; i++) splits.push((min + stride * BigInt(i)).toString());
  return rangesAt(splits);
}

/**
 * Partitions cut at the given split points (ascending): `(-∞, s0)`, `[s0, s1)`, …,
 * `[sk, +∞)` with the NULLs.
 */
export function rangesAt(splits: readonly string[]): ReadPartition[] {
  const out: ReadPartition[] = [];
  for (let i = 0; i <= splits.length; i++) {
    out.push({ lower: i === 0 ? null : splits[i - 1]!, upper: i === splits.length ? null : splits[i]!, nulls: i === splits.length });
  }
  return out;
}

/** The SQL and parameters that read one partition of `source` (a table name or `(query)`). */
export function partitionQuery(source: string, column: string | undefined, partition: ReadPartition): { text: string; values: string[] } {
  const from = `SELECT * FROM ${source}`;
  if (column === undefined || (partition.lower === null && partition.upper === null && partition.nulls)) return { text: from, values: [] };
  const col = quoteIdentifier(column);
  const values: string[] = [];
  const conditions: string[] = [];
  if (partition.lower !== null) {
    values.push(partition.lower);
    conditions.push(`${col} >= $${values.length}`);
  }
  if (partition.upper !== null) {
    values.push(partition.upper);
    conditions.push(`${col} < $${values.length}`);
  }
  let where = conditions.length === 0 ? "FALSE" : conditions.join(" AND ");
  if (partition.nulls) where = `(${where}) OR ${col} IS NULL`;
  return { text: `${from} WHERE ${where}`, values };
}

/** The FROM item of a read: the table as named, or the query as a subquery. */
export function readSource(options: { readonly table?: string; readonly query?: string }): string {
  return options.table !== undefined ? options.table : `(${options.query!}) AS beam_query`;
}
