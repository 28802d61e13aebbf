import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import type { Pool, PoolClient } from "pg";
import { ConstructionError, describeValue, type BoundedWindow, type Instant } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, type BadRecord, type DoFn, type DoFnMetrics, type FinishBundleContext, type ProcessContext } from "../../transforms/index.js";
import { checkConnection, connectClient, importPeer, openPool, queryError, scrub, type PostgresConnection } from "./connection.js";
import { PostgresIOError, describeServerError, isRowError } from "./postgres-io-error.js";
import { POSTGRES_METRICS_NAMESPACE } from "./read-postgres.js";
import { copyTextRow, valueText } from "./row-encoding.js";
import { checkColumns, checkTableName, quoteIdentifier } from "./sql.js";

/**
 * How rows are written: `"insert"` multi-row INSERTs; `"upsert"` INSERT … ON CONFLICT (keys)
 * DO UPDATE, idempotent under retries; `"copy"` COPY … FROM STDIN, the fastest.
 */
export type PostgresWriteMode = "insert" | "upsert" | "copy";

/**
 * What a row the server refuses (a constraint violation, a value that does not fit its
 * column) does: `"fail"` fails the bundle naming the row; `"deadLetter"` sends it to the
 * `failures` output as a BadRecord and writes the others.
 */
export type PostgresBadRecords = "fail" | "deadLetter";

/** Options of writeToPostgres. */
export interface WriteToPostgresOptions<T> {
  readonly connection: PostgresConnection;
  /** The table written (`orders`, `shop.orders`), with `columns`. */
  readonly table?: string;
  /** The columns written, each read from the element's property of the same name (undefined is NULL). */
  readonly columns?: readonly string[];
  /**
   * Instead of table and columns: one statement run per element with `$1`, `$2`, …
   * parameters from `values(element)` (Beam's withStatement and PreparedStatementSetter).
   */
  readonly statement?: string;
  /** The parameters of `statement` for an element. */
  readonly values?: (element: T) => readonly unknown[];
  /** Default "insert". */
  readonly mode?: PostgresWriteMode;
  /** The conflict target of "upsert": the columns of a unique index or primary key. */
  readonly keys?: readonly string[];
  /** Rows per statement or COPY (default 1000, Beam's); a bundle may hold many batches, all in its one transaction. */
  readonly batchSize?: number;
  /** Default "fail". */
  readonly badRecords?: PostgresBadRecords;
}

/** What writeToPostgres returns: the refused rows (always empty unless `badRecords: "deadLetter"`). */
export type WriteToPostgresResult = { readonly failures: PCollection<BadRecord> };

interface ResolvedWrite<T> {
  readonly what: string;
  readonly connection: PostgresConnection;
  readonly table: string | undefined;
  readonly columns: readonly string[];
  readonly statement: string | undefined;
  readonly values: ((element: T) => readonly unknown[]) | undefined;
  readonly mode: PostgresWriteMode;
  readonly keys: readonly string[];
  readonly batchSize: number;
  readonly badRecords: PostgresBadRecords;
}

function resolveWrite<T>(options: WriteToPostgresOptions<T>): ResolvedWrite<T> {
  const what = "writeToPostgres";
  if (typeof options !== "object" || options === null) throw new ConstructionError(`${what} needs options: { connection, table, columns, ... }.`);
  const connection = checkConnection(what, options.connection);
  const mode = options.mode ?? "insert";
  if (!["insert", "upsert", "copy"].includes(mode)) throw new ConstructionError(`${what}: mode must be "insert", "upsert" or "copy", got ${String(mode)}.`);
  const badRecords = options.badRecords ?? "fail";
  if (!["fail", "deadLetter"].includes(badRecords)) throw new ConstructionError(`${what}: badRecords must be "fail" or "deadLetter", got ${String(badRecords)}.`);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConstructionError(`${what}: batchSize must be a positive integer, got ${String(batchSize)}.`);
  if (options.statement !== undefined) {
    if (options.table !== undefined || options.columns !== undefined) {
      throw new ConstructionError(`${what}: give either statement (with values) or table with columns, not both.`);
    }
    if (typeof options.statement !== "string" || options.statement.trim().length === 0) throw new ConstructionError(`${what}: statement must be a SQL statement.`);
    if (typeof options.values !== "function") {
      throw new ConstructionError(`${what}: a statement needs values: (element) => [...], the parameters $1, $2, … of each element.`);
    }
    if (mode !== "insert") throw new ConstructionError(`${what}: mode "${mode}" writes a table's columns; with a statement write the ON CONFLICT clause yourself.`);
    return { what, connection, table: undefined, columns: [], statement: options.statement, values: options.values, mode, keys: [], batchSize, badRecords };
  }
  if (options.table === undefined) throw new ConstructionError(`${what} needs table and columns, or a statement with values.`);
  const table = checkTableName(what, options.table);
  const columns = checkColumns(what, "columns", options.columns);
  if (options.values !== undefined) throw new ConstructionError(`${what}: values goes with statement; with table and columns each column is read from the element's property.`);
  let keys: readonly string[] = [];
  if (mode === "upsert") {
    keys = checkColumns(what, "keys", options.keys);
    const missing = keys.filter((k) => !columns.includes(k));
    if (missing.length > 0) throw new ConstructionError(`${what}: the upsert keys ${missing.join(", ")} must be among the columns written.`);
  } else if (options.keys !== undefined) {
    throw new ConstructionError(`${what}: keys is the conflict target of mode "upsert"; mode is "${mode}".`);
  }
  return { what, connection, table, columns, statement: undefined, values: undefined, mode, keys, batchSize, badRecords };
}

/**
 * Beam's JdbcIO.write for PostgreSQL: writes each element as a row, in batches of
 * `batchSize`, each bundle in one transaction committed in finishBundle, so a failed and
 * retried bundle never leaves half its rows. `mode: "upsert"` (ON CONFLICT (keys) DO
 * UPDATE) makes a bundle retried after its commit write each row once; "insert" then writes
 * it twice. A row the server refuses (SQLSTATE class 22 or 23) fails the bundle naming it,
 * or with `badRecords: "deadLetter"` goes to `failures` while the others are written.
 * Each DoFn instance holds its own connection pool, ended in teardown.
 *
 * @example
 * const { failures } = orders.apply(writeToPostgres({
 *   connection, table: "orders", columns: ["id", "customer", "amount"], mode: "upsert", keys: ["id"],
 * }));
 */
export function writeToPostgres<T>(options: WriteToPostgresOptions<T>): PTransform<PCollection<T>, WriteToPostgresResult> {
  return new WriteToPostgres(resolveWrite(options));
}

class WriteToPostgres<T> extends PTransform<PCollection<T>, WriteToPostgresResult> {
  constructor(private readonly options: ResolvedWrite<T>) {
    super("WriteToPostgres");
  }
  expand(input: PCollection<T>): WriteToPostgresResult {
    const step = `${input.pipeline.currentLabel()}/Write`;
    const fn = new WritePostgresFn<T>({ ...this.options, what: `writeToPostgres "${input.pipeline.currentLabel()}"` }, step);
    // One element at a time: batches and the transaction belong to the bundle, in order.
    const out = input.apply("Write", parDo(fn, { outputs: ["failures"], maxConcurrency: 1 }));
    return { failures: out.failures };
  }
}

interface PendingRow<T> {
  readonly element: T;
  readonly values: readonly unknown[];
  readonly window: BoundedWindow;
  readonly timestamp: Instant;
}

type CopyFrom = (text: string) => NodeJS.WritableStream & { submit: unknown };

/** The SQL parameter limit of one statement (the protocol counts parameters in 16 bits). */
const MAX_PARAMETERS = 65_535;

import { postgresLineage } from "./postgres-lineage.js";

class WritePostgresFn<T> implements DoFn<T, never, { failures: BadRecord }> {
  private pool: Pool | undefined;
  private copyFrom: CopyFrom | undefined;
  private client: PoolClient | undefined;
  private pending: PendingRow<T>[] = [];
  private refused: { row: PendingRow<T>; error: unknown }[] = [];
  /** The batches being written, in order, on the bundle's connection. */
  private writing: Promise<void> = Promise.resolve();
  private writeFailure: { error: unknown } | undefined;
  /** Lineage is reported once per bundle (a string set: more would add nothing). */
  private lineageReported = false;

  constructor(
    readonly options: ResolvedWrite<T>,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    if (this.options.mode === "copy") {
      const mod = await importPeer("pg-copy-streams", () => import("pg-copy-streams"), this.options.what);
      this.copyFrom = ((mod as { default?: { from: CopyFrom } }).default ?? (mod as unknown as { from: CopyFrom })).from;
    }
    this.pool = await openPool(this.options.connection, this.options.what);
  }

  async startBundle(): Promise<void> {
    // A failed bundle's transaction is never committed: rolled back here or in teardown.
    await this.abandon();
    this.pending = [];
    this.refused = [];
    this.writing = Promise.resolve();
    this.writeFailure = undefined;
    this.lineageReported = false;
  }

  /**
   * Synchronous: a full batch is written (in order, on the bundle's connection) while the
   * next one fills, and finishBundle waits for them all. It never returns a promise: once a
   * DoFn's process does, the embedded runner runs every later element as an async call with
   * a queue that costs O(queue) per element (TODO(#20): backpressure once that is linear), so
   * batches of one bundle are held until written: memory grows with the bundle, not the input.
   */
  process(element: T, ctx: ProcessContext<never, { failures: BadRecord }>): void {
    if (this.writeFailure !== undefined) throw this.writeFailure.error;
    if (!this.lineageReported && this.options.table !== undefined) {
      this.lineageReported = true;
      postgresLineage("sinks", this.options.connection, this.options.table);
    }
    this.pending.push({ element, values: this.valuesOf(element), window: ctx.window, timestamp: ctx.timestamp });
    if (this.pending.length < this.options.batchSize) return undefined;
    const batch = this.pending;
    this.pending = [];
    const metrics = ctx.metrics;
    this.writing = this.writing.then(async () => {
      if (this.writeFailure !== undefined) return;
      try {
        await this.flush(batch, metrics);
      } catch (err) {
        this.writeFailure = { error: err };
      }
    });
  }

  private throwWriteFailure(): void {
    if (this.writeFailure !== undefined) throw this.writeFailure.error;
  }

  async finishBundle(ctx: FinishBundleContext<never, { failures: BadRecord }>): Promise<void> {
    await this.writing;
    this.throwWriteFailure();
    const last = this.pending;
    this.pending = [];
    await this.flush(last, ctx.metrics);
    const client = this.client;
    if (client !== undefined) {
      try {
        await client.query("COMMIT");
      } catch (err) {
        throw queryError(this.options.connection, this.options.what, "committing the bundle's transaction", err);
      }
      this.client = undefined;
      client.release();
    }
    // Dead letters leave only with a committed bundle.
    for (const { row, error } of this.refused) ctx.outputTo("failures", this.badRecord(row, error), row.timestamp, row.window);
    this.refused = [];
  }

  async teardown(): Promise<void> {
    await this.abandon();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** Rolls back and drops the connection of a bundle that did not finish. */
  private async abandon(): Promise<void> {
    await this.writing; // never rejects: failures are kept in writeFailure
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    await client.query("ROLLBACK").catch(() => undefined);
    client.release(true);
  }

  private valuesOf(element: T): readonly unknown[] {
    const o = this.options;
    if (o.values !== undefined) {
      const values = o.values(element);
      if (!Array.isArray(values)) {
        throw new PostgresIOError(`${o.what}: values(element) must return an array of parameters, got ${describeValue(values)} for the element ${describeValue(element)}.`, { retryable: false });
      }
      return values;
    }
    if (typeof element !== "object" || element === null) {
      throw new PostgresIOError(
        `${o.what}: elements must be objects with the columns ${o.columns.join(", ")} as properties; got ${describeValue(element)}. Map them to objects first, or give a statement with values.`,
        { retryable: false },
      );
    }
    const record = element as Record<string, unknown>;
    return o.columns.map((c) => record[c]);
  }

  private async connection(metrics: DoFnMetrics): Promise<PoolClient> {
    if (this.client !== undefined) return this.client;
    const client = await connectClient(this.pool!, this.options.connection, this.options.what, metrics);
    try {
      await client.query("BEGIN");
    } catch (err) {
      client.release(true);
      throw queryError(this.options.connection, this.options.what, "starting a transaction", err);
    }
    this.client = client;
    return client;
  }

  /** Writes the pending rows in the bundle's transaction; finds refused rows one by one. */
  private async flush(batch: readonly PendingRow<T>[], metrics: DoFnMetrics): Promise<void> {
    if (batch.length === 0) return;
    const o = this.options;
    const client = await this.connection(metrics);
    const written = metrics.counter(POSTGRES_METRICS_NAMESPACE, "rowsWritten");
    try {
      await client.query("SAVEPOINT beam_batch");
    } catch (err) {
      throw queryError(o.connection, o.what, `writing ${batch.length} rows ${this.target()}`, err);
    }
    try {
      await this.write(client, batch, o.mode);
      await client.query("RELEASE SAVEPOINT beam_batch");
      written.inc(batch.length);
      return;
    } catch (err) {
      if (!isRowError(err)) throw queryError(o.connection, o.what, `writing ${batch.length} rows ${this.target()}`, err);
      await client.query("ROLLBACK TO SAVEPOINT beam_batch");
    }
    // The batch has a row the server refuses: write the rows one by one to find it (them).
    for (const row of batch) {
      await client.query("SAVEPOINT beam_row");
      try {
        await this.write(client, [row], o.mode === "copy" ? "insert" : o.mode);
        await client.query("RELEASE SAVEPOINT beam_row");
        written.inc();
      } catch (err) {
        if (!isRowError(err)) throw queryError(o.connection, o.what, `writing a row ${this.target()}`, err);
        await client.query("ROLLBACK TO SAVEPOINT beam_row");
        if (o.badRecords === "fail") {
          throw new PostgresIOError(
            scrub(
              o.connection,
              `${o.what}: the server refused a row ${this.target()}: ${describeServerError(err)}. The row: ${describeValue(row.element)}. ` +
                `Fix the row or the table, or pass { badRecords: "deadLetter" } to send refused rows to the failures output and write the others.`,
            ),
            { cause: err, retryable: false, sqlState: (err as { code?: string }).code },
          );
        }
        metrics.counter(POSTGRES_METRICS_NAMESPACE, "rowsRefused").inc();
        this.refused.push({ row, error: err });
      }
    }
  }

  private target(): string {
    return this.options.table !== undefined ? `to table ${this.options.table}` : `with statement ${JSON.stringify(this.options.statement!.slice(0, 120))}`;
  }

  private async write(client: PoolClient, rows: readonly PendingRow<T>[], mode: PostgresWriteMode): Promise<void> {
    const o = this.options;
    if (o.statement !== undefined) {
      // One prepared statement, parsed once per connection.
      for (const row of rows) await client.query({ name: "beam_ts_write", text: o.statement, values: row.values.map(valueText) });
      return;
    }
    const cols = o.columns.map(quoteIdentifier).join(", ");
    if (mode === "copy") {
      const text = rows.map((r) => copyTextRow(r.values)).join("");
      const stream = client.query(this.copyFrom!(`COPY ${o.table!} (${cols}) FROM STDIN`) as never) as unknown as NodeJS.WritableStream;
      await pipeline(Readable.from([text]), stream);
      return;
    }
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / o.columns.length));
    for (let start = 0; start < rows.length; start += perStatement) {
      let chunk = rows.slice(start, start + perStatement);
      let conflict = "";
      if (mode === "upsert") {
        chunk = lastPerKey(chunk, o.columns, o.keys);
        const updates = o.columns.filter((c) => !o.keys.includes(c)).map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`);
        conflict = ` ON CONFLICT (${o.keys.map(quoteIdentifier).join(", ")}) DO ${updates.length === 0 ? "NOTHING" : `UPDATE SET ${updates.join(", ")}`}`;
      }
      const values: (string | null)[] = [];
      const tuples = chunk.map((row) => {
        const params = row.values.map((v) => {
          values.push(valueText(v));
          return `$${values.length}`;
        });
        return `(${params.join(", ")})`;
      });
      await client.query(`INSERT INTO ${o.table!} (${cols}) VALUES ${tuples.join(", ")}${conflict}`, values);
    }
  }

  private badRecord(row: PendingRow<T>, error: unknown): BadRecord {
    const message = scrub(this.options.connection, describeServerError(error));
    return {
      step: this.step,
      element: { preview: describeValue(row.element), encoded: undefined, coder: "" },
      error: { type: "PostgresIOError", message, stack: "", description: `writing the row ${this.target()}` },
      window: row.window.toString(),
      timestamp: row.timestamp,
      attempt: 1,
      failedAt: Date.now(),
    };
  }
}

/**
 * The rows of a batch with the last one of each key: one INSERT … ON CONFLICT DO UPDATE may
 * not touch a row twice, and the last write of a key is the one that must win.
 */
function lastPerKey<T>(rows: readonly PendingRow<T>[], columns: readonly string[], keys: readonly string[]): PendingRow<T>[] {
  const at = keys.map((k) => columns.indexOf(k));
  const last = new Map<string, PendingRow<T>>();
  for (const row of rows) {
    const key = JSON.stringify(at.map((i) => valueText(row.values[i])));
    last.delete(key);
    last.set(key, row);
  }
  return [...last.values()];
}
