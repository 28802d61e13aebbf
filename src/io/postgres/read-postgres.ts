import type { Pool, PoolClient } from "pg";
import type CursorType from "pg-cursor";
import { ConstructionError, type RowSchema } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import {
  OffsetRange,
  OffsetRangeTracker,
  impulse,
  parDo,
  splitOffsetRange,
  splittableParDo,
  type DoFn,
  type ProcessContext,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { checkConnection, connectClient, importPeer, openPool, queryError, type PostgresConnection } from "./connection.js";
import { WHOLE_QUERY, partitionQuery, rangesAt, rangesBetween, readSource, type ReadPartition, type ReadPlan } from "./partitions.js";
import { PostgresIOError } from "./postgres-io-error.js";
import { checkColumns, checkTableName, quoteIdentifier } from "./sql.js";
import { INTEGER_OIDS, POSTGRES_TYPES, typeNameOf } from "./type-mapping.js";

/** A row as read: column name to value, typed by the mapping in README.md ("Types"). */
export type PostgresRow = Readonly<Record<string, unknown>>;

/** A result column, as the server describes it. */
export interface PostgresColumn {
  readonly name: string;
  /** The type's OID (pg_type.oid): 20 bigint, 25 text, … */
  readonly typeOid: number;
}

/** The metrics namespace of the PostgreSQL connector's counters. */
export const POSTGRES_METRICS_NAMESPACE = "beam-ts.io.postgres";

/** Options of readFromPostgres. */
export interface ReadFromPostgresOptions<T> {
  readonly connection: PostgresConnection;
  /** A SELECT statement; read as a subquery, so it must not end with a semicolon. Or give `table`. */
  readonly query?: string;
  /** A table to read whole (`SELECT * FROM table`). Or give `query`. */
  readonly table?: string;
  /**
   * An integer (or, with partitionBounds, any ordered) column to split the read by: each
   * range of its values is read by its own query, in parallel (Beam's readWithPartitions).
   */
  readonly partitionColumn?: string;
  /** How many ranges to cut `[min, max]` of partitionColumn into (default 200, Beam's). */
  readonly numPartitions?: number;
  /** Lower end of the range numPartitions splits, instead of the column's minimum (rows below are still read, by the first range). */
  readonly lowerBound?: bigint | number;
  /** Upper end of the range numPartitions splits, instead of the column's maximum (rows above are still read, by the last range). */
  readonly upperBound?: bigint | number;
  /**
   * Ascending split points instead of numPartitions: ranges `(-∞, b0)`, `[b0, b1)`, …,
   * `[bk, +∞)`; values of any ordered type (numbers, bigints, strings, Dates), bound as text
   * and read by PostgreSQL as the column's type. No min/max query is run.
   */
  readonly partitionBounds?: ReadonlyArray<bigint | number | string | Date>;
  /** Rows fetched per round trip from the server's cursor (default 50 000, Beam's): at most this many rows are held at once. */
  readonly fetchSize?: number;
  /** Turns each row (already typed) into the output element; default the row itself. */
  readonly rowMapper?: (row: PostgresRow, columns: readonly PostgresColumn[]) => T;
  /**
   * The output's schema: the PCollection gets it (`withSchema`), and each fetch's first row is
   * checked against it. `inferPostgresSchema` makes one from the query's columns.
   */
  readonly schema?: RowSchema<T>;
}

interface ResolvedRead<T> {
  readonly what: string;
  readonly connection: PostgresConnection;
  readonly source: string;
  /** The table read, for lineage (undefined for a query). */
  readonly table: string | undefined;
  readonly partitionColumn: string | undefined;
  readonly numPartitions: number;
  readonly lowerBound: bigint | undefined;
  readonly upperBound: bigint | undefined;
  readonly splits: readonly string[] | undefined;
  readonly fetchSize: number;
  readonly rowMapper: ((row: PostgresRow, columns: readonly PostgresColumn[]) => T) | undefined;
  readonly schema: RowSchema<T> | undefined;
}

function positiveInteger(what: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ConstructionError(`${what}: ${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function boundText(value: bigint | number | string | Date): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

function resolveRead<T>(options: ReadFromPostgresOptions<T>): ResolvedRead<T> {
  const what = "readFromPostgres";
  if (typeof options !== "object" || options === null) throw new ConstructionError(`${what} needs options: { connection, query | table, ... }.`);
  const connection = checkConnection(what, options.connection);
  if ((options.query === undefined) === (options.table === undefined)) {
    throw new ConstructionError(`${what} needs exactly one of query (a SELECT statement) and table (a table name).`);
  }
  if (options.query !== undefined && (typeof options.query !== "string" || options.query.trim().length === 0 || /;\s*$/.test(options.query))) {
    throw new ConstructionError(`${what}: query must be one SELECT statement without a trailing semicolon (it is read as a subquery), got ${JSON.stringify(options.query)}.`);
  }
  if (options.table !== undefined) checkTableName(what, options.table);
  const partitionColumn = options.partitionColumn;
  if (partitionColumn !== undefined) checkColumns(what, "partitionColumn", [partitionColumn]);
  const partitioned = [options.numPartitions, options.partitionBounds, options.lowerBound, options.upperBound].some((o) => o !== undefined);
  if (partitioned && partitionColumn === undefined) {
    throw new ConstructionError(`${what}: numPartitions, partitionBounds, lowerBound and upperBound need a partitionColumn to split by.`);
  }
  if (options.partitionBounds !== undefined && (options.numPartitions !== undefined || options.lowerBound !== undefined || options.upperBound !== undefined)) {
    throw new ConstructionError(`${what}: give either partitionBounds (the split points) or numPartitions with optional lowerBound/upperBound, not both.`);
  }
  let splits: string[] | undefined;
  if (options.partitionBounds !== undefined) {
    if (!Array.isArray(options.partitionBounds) || options.partitionBounds.length === 0) {
      throw new ConstructionError(`${what}: partitionBounds must be a non-empty array of split points.`);
    }
    splits = options.partitionBounds.map(boundText);
  }
  const bound = (name: string, v: bigint | number | undefined): bigint | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === "bigint") return v;
    if (Number.isSafeInteger(v)) return BigInt(v);
    throw new ConstructionError(`${what}: ${name} must be an integer (a number or a bigint), got ${String(v)}.`);
  };
  const lowerBound = bound("lowerBound", options.lowerBound);
  const upperBound = bound("upperBound", options.upperBound);
  if (lowerBound !== undefined && upperBound !== undefined && lowerBound > upperBound) {
    throw new ConstructionError(`${what}: lowerBound ${lowerBound} is above upperBound ${upperBound}.`);
  }
  if (options.rowMapper !== undefined && typeof options.rowMapper !== "function") throw new ConstructionError(`${what}: rowMapper must be a function.`);
  return {
    what,
    connection,
    source: readSource(options),
    table: options.table,
    partitionColumn,
    numPartitions: positiveInteger(what, "numPartitions", options.numPartitions, 200),
    lowerBound,
    upperBound,
    splits,
    fetchSize: positiveInteger(what, "fetchSize", options.fetchSize, 50_000),
    rowMapper: options.rowMapper,
    schema: options.schema,
  };
}

/**
 * Beam's JdbcIO.read / readWithPartitions for PostgreSQL: the rows of a query or table, as
 * plain objects keyed by column name with values typed by the connector's type mapping
 * (bigint → bigint, numeric → BigDecimal, timestamps → Instant, …; see its README).
 *
 * With a `partitionColumn`, the read is split into ranges of that column (`numPartitions`
 * ranges over its min..max, found by a query when the pipeline runs, or the given
 * `partitionBounds`), each read by its own query; the ranges are the restriction of a
 * splittable DoFn, so `--parallelism` threads take them on demand. Every row is read once:
 * the first and last ranges are open-ended and the last also reads the NULLs. Each range is
 * streamed through a server-side cursor, `fetchSize` rows at a time. Ranges are separate
 * queries, so a table written while it is read may show different moments in different ranges.
 *
 * @example
 * const orders = p.apply(readFromPostgres({
 *   connection: { host: "db", database: "shop", user: "etl", password: new Secret(pw) },
 *   table: "orders", partitionColumn: "id", numPartitions: 16, fetchSize: 10_000,
 * }));
 */
export function readFromPostgres<T = PostgresRow>(options: ReadFromPostgresOptions<T>): PTransform<PBegin, PCollection<T>> {
  return new ReadFromPostgres(resolveRead(options));
}

class ReadFromPostgres<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(private readonly options: ResolvedRead<T>) {
    super("ReadFromPostgres");
  }
  expand(input: PBegin): PCollection<T> {
    const what = `readFromPostgres "${input.pipeline.currentLabel()}"`;
    const options = { ...this.options, what };
    const rows = input
      .apply("Impulse", impulse())
      .apply("PlanPartitions", parDo(new PlanPartitionsDoFn(options)))
      .apply("ReadPartitions", splittableParDo(new ReadPartitionsFn<T>(options)));
    return options.schema === undefined ? rows : rows.withSchema(options.schema);
  }
}

/** Runs when the pipeline runs: finds the partition column's min and max and cuts the ranges. */
import { postgresLineage } from "./postgres-lineage.js";

class PlanPartitionsDoFn implements DoFn<Uint8Array, ReadPlan> {
  constructor(readonly options: ResolvedRead<unknown>) {}

  async process(_impulse: Uint8Array, ctx: ProcessContext<ReadPlan>): Promise<void> {
    const o = this.options;
    if (o.table !== undefined) postgresLineage("sources", o.connection, o.table);
    if (o.partitionColumn === undefined) return ctx.output({ partitions: [WHOLE_QUERY] });
    if (o.splits !== undefined) return ctx.output({ partitions: rangesAt(o.splits) });
    let min = o.lowerBound;
    let max = o.upperBound;
    if (min === undefined || max === undefined) {
      const col = quoteIdentifier(o.partitionColumn);
      const text = `SELECT min(${col}) AS lo, max(${col}) AS hi FROM ${o.source}`;
      const pool = await openPool(o.connection, o.what);
      try {
        const client = await connectClient(pool, o.connection, o.what);
        try {
          const result = await client.query({ text, types: POSTGRES_TYPES }).catch((err: unknown) => {
            throw queryError(o.connection, o.what, `finding the range of partitionColumn "${o.partitionColumn}" (${text})`, err, "Check that the column exists in the query's result.");
          });
          const oid = result.fields[0]!.dataTypeID;
          if (!INTEGER_OIDS.has(oid)) {
            throw new PostgresIOError(
              `${o.what}: partitionColumn "${o.partitionColumn}" is of type ${typeNameOf(oid)}; numPartitions splits integer columns (smallint, integer, bigint). ` +
                `For other types give partitionBounds, the split points.`,
              { retryable: false },
            );
          }
          const row = result.rows[0] as { lo: unknown; hi: unknown };
          if (row.lo === null || row.hi === null) return ctx.output({ partitions: [WHOLE_QUERY] });
          min ??= BigInt(row.lo as bigint | number);
          max ??= BigInt(row.hi as bigint | number);
        } finally {
          client.release();
        }
      } finally {
        await pool.end();
      }
    }
    ctx.output({ partitions: max < min ? [WHOLE_QUERY] : rangesBetween(min, max, o.numPartitions) });
  }
}

type CursorClass = typeof CursorType;

/**
 * Reads the partitions of a plan: the restriction is the range of partition indexes, split
 * up front into pieces of whole partitions, so threads take pieces on demand; each index is
 * claimed before its partition is read, and a partition is streamed whole by a cursor.
 */
class ReadPartitionsFn<T> implements SplittableDoFn<ReadPlan, T, OffsetRange> {
  private pool: Pool | undefined;
  private Cursor: CursorClass | undefined;

  constructor(readonly options: ResolvedRead<T>) {}

  async setup(): Promise<void> {
    this.Cursor = await importPeer("pg-cursor", async () => {
      const mod = await import("pg-cursor");
      return ((mod as { default?: CursorClass }).default ?? mod) as CursorClass;
    }, this.options.what);
    this.pool = await openPool(this.options.connection, this.options.what);
  }

  async teardown(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  getInitialRestriction(plan: ReadPlan): OffsetRange {
    return new OffsetRange(0, plan.partitions.length);
  }

  splitRestriction(_plan: ReadPlan, range: OffsetRange, desiredChunks: number): OffsetRange[] {
    return splitOffsetRange(range, desiredChunks);
  }

  getSize(_plan: ReadPlan, range: OffsetRange): number {
    return range.size;
  }

  newTracker(_plan: ReadPlan, range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }

  async process(plan: ReadPlan, ctx: SplittableProcessContext<T, OffsetRange, number>): Promise<void> {
    const client = await connectClient(this.pool!, this.options.connection, this.options.what, ctx.metrics);
    let healthy = true;
    try {
      for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) {
        healthy = false;
        await this.readPartition(client, plan.partitions[i]!, ctx);
        healthy = true;
      }
    } finally {
      // A connection whose cursor failed half-way is not given back to the pool.
      client.release(!healthy);
    }
  }

  private async readPartition(client: PoolClient, partition: ReadPartition, ctx: SplittableProcessContext<T, OffsetRange, number>): Promise<void> {
    const o = this.options;
    const { text, values } = partitionQuery(o.source, o.partitionColumn, partition);
    const cursor = client.query(new this.Cursor!(text, values, { types: POSTGRES_TYPES }));
    const fetches = ctx.metrics.counter(POSTGRES_METRICS_NAMESPACE, "fetches");
    const rowsRead = ctx.metrics.counter(POSTGRES_METRICS_NAMESPACE, "rowsRead");
    let columns: PostgresColumn[] | undefined;
    let downstream: unknown = undefined; // an error of a fused downstream step: not ours to wrap
    try {
      for (;;) {
        const { rows, fields } = await new Promise<{ rows: PostgresRow[]; fields: readonly { name: string; dataTypeID: number }[] }>((resolve, reject) => {
          cursor.read(o.fetchSize, (err, rows, result) => (err ? reject(err) : resolve({ rows: rows as PostgresRow[], fields: result?.fields ?? [] })));
        });
        if (rows.length === 0) break;
        fetches.inc();
        rowsRead.inc(rows.length);
        columns ??= fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
        let first = true;
        for (const row of rows) {
          const out = o.rowMapper === undefined ? (row as T) : o.rowMapper(row, columns);
          if (first && o.schema !== undefined) this.checkSchema(out, columns);
          first = false;
          try {
            ctx.output(out);
          } catch (err) {
            downstream = err;
            throw err;
          }
        }
        if (rows.length < o.fetchSize) break;
      }
    } catch (err) {
      if (err === downstream || err instanceof PostgresIOError) throw err;
      throw queryError(o.connection, o.what, `reading ${describePartition(o.partitionColumn, partition)} (${text})`, err);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  private checkSchema(row: T, columns: readonly PostgresColumn[]): void {
    const schema = this.options.schema!;
    const described = columns.map((c) => `${c.name} (${typeNameOf(c.typeOid)})`).join(", ");
    if (this.options.rowMapper === undefined) {
      // A missing nullable field would pass as null: compare the names first.
      const names = new Set(columns.map((c) => c.name));
      const fields = new Set(schema.schema.fields.map((f) => f.name));
      const missing = [...fields].filter((n) => !names.has(n));
      const extra = [...names].filter((n) => !fields.has(n));
      if (missing.length > 0 || extra.length > 0) {
        const parts = [
          missing.length > 0 ? `the result has no column ${missing.map((m) => `"${m}"`).join(", ")}` : "",
          extra.length > 0 ? `the schema has no field ${extra.map((m) => `"${m}"`).join(", ")}` : "",
        ].filter((x) => x !== "");
        throw new PostgresIOError(
          `${this.options.what}: the rows do not match the schema: ${parts.join(" and ")}; the result's columns are ${described}. ` +
            `Select the schema's columns, or make the schema with inferPostgresSchema from the same query.`,
          { retryable: false },
        );
      }
    }
    const mismatch = schema.mismatch(row);
    if (mismatch === undefined) return;
    throw new PostgresIOError(
      `${this.options.what}: a row does not match the schema: ${mismatch}. The result's columns are ${described}; inferPostgresSchema gives the schema that matches them.`,
      { retryable: false },
    );
  }
}

function describePartition(column: string | undefined, p: ReadPartition): string {
  if (column === undefined) return "the query";
  const range = `${p.lower === null ? "(-∞" : `[${p.lower}`}, ${p.upper === null ? "+∞)" : `${p.upper})`}`;
  return `the partition ${column} in ${range}${p.nulls ? " or NULL" : ""}`;
}

