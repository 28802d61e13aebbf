/**
 * The idempotent-upsert pattern of docs/IO.md ("PostgreSQL", "Checkpoints and restore")
 * against the real server of test/job-services-setup.ts: an unbounded job is stopped right
 * after checkpoints and restored from the latest one again and again; the work it did
 * between its last checkpoint and the stop is done again by the restored job, so a sink sees
 * some of its rows twice. Upsert keyed by (key, window) absorbs that; a plain insert into a
 * table without a key keeps both copies (at-least-once). BEAM_TS_SERVERS without
 * "postgres" skips these tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { IntervalWindow, Pipeline, Secret, combinePerKey, fixedWindows, generateSequence, kv, map, parDo, sum, windowInto, type KV } from "../../src/index.js";
import { writeToPostgres, type PostgresConnection } from "../../src/io/postgres/index.js";

const URL_ = inject("postgresUrl");

/** One per-key window aggregate, as the table holds it. */
interface WindowSum {
  readonly k: string;
  readonly window_start: number;
  readonly total: number;
}

const KEYS = 4;
/** Event time of number x: 10 ms apart, so a 100 ms window holds 10 numbers. */
const timestampOf = (x: number) => x * 10;
const WINDOW_MS = 100;

/** The rows the job must leave: the sum of each key's numbers in each window. */
function reference(n: number): WindowSum[] {
  const sums = new Map<string, WindowSum>();
  for (let x = 0; x < n; x++) {
    const k = `k${x % KEYS}`;
    const start = Math.floor(timestampOf(x) / WINDOW_MS) * WINDOW_MS;
    const at = `${k} ${start}`;
    sums.set(at, { k, window_start: start, total: (sums.get(at)?.total ?? 0) + x });
  }
  return sortRows([...sums.values()]);
}

const sortRows = (rows: WindowSum[]) => [...rows].sort((a, b) => a.k.localeCompare(b.k) || a.window_start - b.window_start);

function connectionOf(url: string): PostgresConnection {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: u.username, database: u.pathname.slice(1), password: new Secret(decodeURIComponent(u.password)) };
}

/**
 * numbers → key → 100 ms windows → sum per key → one row per (key, window), written twice:
 * upserted into a table keyed by (k, window_start), inserted into one without a key.
 */
function buildJob(p: Pipeline, n: number, connection: PostgresConnection): void {
  const sums = p
    .apply("Numbers", generateSequence({ from: 0, to: n, rate: { elements: 10, period: 20 }, timestamp: timestampOf }))
    .apply("Key", map((x: number) => kv(`k${x % KEYS}`, x)))
    .apply("Windows", windowInto(fixedWindows(WINDOW_MS)))
    .apply("Sum", combinePerKey(sum()))
    .apply(
      "Row",
      parDo<KV<string, number>, WindowSum>({
        process(e, ctx) {
          ctx.output({ k: e.key, window_start: (ctx.window as IntervalWindow).start, total: e.value });
        },
      }),
    );
  const columns = ["k", "window_start", "total"];
  sums.apply("Upsert", writeToPostgres<WindowSum>({ connection, table: "restore_upserted", columns, mode: "upsert", keys: ["k", "window_start"] }));
  sums.apply("Insert", writeToPostgres<WindowSum>({ connection, table: "restore_inserted", columns, mode: "insert" }));
}

describe.skipIf(URL_ === "")("writeToPostgres under checkpoints and restore", () => {
  let admin: pg.Client;
  const dirs: string[] = [];
  const sql = async <R extends pg.QueryResultRow>(text: string) => (await admin.query<R>(text)).rows;
  const tableRows = async (table: string) =>
    sortRows((await sql<{ k: string; window_start: string; total: string }>(`SELECT k, window_start, total FROM ${table}`)).map((r) => ({ k: r.k, window_start: Number(r.window_start), total: Number(r.total) })));

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    await sql("DROP TABLE IF EXISTS restore_upserted, restore_inserted, restore_upsert_log");
    await sql("CREATE TABLE restore_upserted (k text, window_start bigint, total bigint, PRIMARY KEY (k, window_start))");
    await sql("CREATE TABLE restore_inserted (k text, window_start bigint, total bigint)");
    // Every write that reaches the upserted table, rewrites included: proof that rows came twice.
    await sql("CREATE TABLE restore_upsert_log (k text, window_start bigint, total bigint)");
    await sql(`CREATE OR REPLACE FUNCTION restore_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO restore_upsert_log VALUES (NEW.k, NEW.window_start, NEW.total); RETURN NEW; END $$`);
    await sql("CREATE TRIGGER restore_log AFTER INSERT OR UPDATE ON restore_upserted FOR EACH ROW EXECUTE FUNCTION restore_log_write()");
  });

  afterAll(async () => {
    await admin?.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("upserts keyed by key and window leave exactly the reference rows after repeated stops and restores, while plain inserts keep duplicates", async () => {
    const n = 2000;
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-pg-restore-"));
    dirs.push(dir);
    const connection = connectionOf(URL_);
    const base = { enforceImmutability: false, checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest" };
    const run = (options: Record<string, unknown>) => {
      const p = new Pipeline({ ...base, ...options });
      buildJob(p, n, connection);
      return p.run().waitUntilFinish();
    };
    const logged = async () => Number((await sql<{ n: string }>("SELECT count(*) AS n FROM restore_upsert_log"))[0]!.n);
    const written = async () => Number((await sql<{ n: string }>("SELECT count(*) AS n FROM restore_upserted"))[0]!.n);
    let stops = 0;
    // Eight stops; more (at most eight) while no stop has yet cost a rewrite, which needs a
    // window to fire between a checkpoint's snapshot and the stop (most runs have several).
    for (let k = 0; k < 16 && (k < 8 || (await logged()) === (await written())); k++) {
      const state = await run({ stopAfterCheckpoint: 2 + (k % 3) });
      if (state === "DONE") break;
      expect(state).toBe("CANCELLED");
      stops++;
    }
    expect(stops).toBeGreaterThanOrEqual(5);
    expect(await run({})).toBe("DONE");

    const expected = reference(n);
    expect(await tableRows("restore_upserted")).toEqual(expected);
    // The restored jobs wrote some rows again (the log of every write has more than one row per key)...
    const rewritten = (await logged()) - expected.length;
    expect(rewritten).toBeGreaterThan(0);
    // ...which the table without a key kept: every reference row is there, some more than once.
    const inserted = await tableRows("restore_inserted");
    expect([...new Map(inserted.map((r) => [`${r.k} ${r.window_start}`, r])).values()]).toEqual(expected);
    expect(inserted.length).toBeGreaterThan(expected.length);
    console.info(`postgres restore: ${stops} stops, ${expected.length} rows, ${rewritten} upserts rewrote a row, ${inserted.length - expected.length} duplicate inserted rows`);
  }, 120_000);
});
