import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, Secret, create, map, parDo, reshuffle, type BadRecord, type BigDecimal, type DoFn, type PCollection } from "../../src/index.js";
import {
  POSTGRES_METRICS_NAMESPACE,
  inferPostgresSchema,
  readFromPostgres,
  writeToPostgres,
  type PostgresConnection,
  type PostgresRow,
} from "../../src/io/postgres/index.js";
import { connectClient, openPool } from "../../src/io/postgres/connection.js";

const URL_ = inject("postgresUrl");
const PARALLEL_MODULE = fileURLToPath(new URL("./fixtures/postgres-pipeline.ts", import.meta.url));

/** host/port/user/database with the password as a Secret, from the test server's URL. */
function connectionOf(url: string): PostgresConnection {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: u.username, database: u.pathname.slice(1), password: new Secret(decodeURIComponent(u.password)) };
}

let admin: pg.Client;
let connection: PostgresConnection;

async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  return (await admin.query<R>(text, values)).rows;
}

/** Collects a PCollection's elements into `sink` (the embedded runner runs in-process). */
function collect<T>(pc: PCollection<T>, sink: T[], name = "Collect"): void {
  pc.apply(name, map((x: T) => {
    sink.push(x);
    return x;
  }));
}

async function run(build: (p: Pipeline) => void, options: Record<string, unknown> = {}) {
  const p = new Pipeline({ runner: "embedded", ...options });
  build(p);
  const result = p.run();
  await result.waitUntilFinish();
  return result;
}

function counter(result: Awaited<ReturnType<typeof run>>, name: string): number {
  return result
    .metrics()
    .queryMetrics({ namespace: POSTGRES_METRICS_NAMESPACE, name })
    .counters.reduce((n, c) => n + c.committed, 0);
}

const sortById = <T extends PostgresRow>(rows: T[]) => [...rows].sort((a, b) => Number(a["id"]) - Number(b["id"]));

describe.skipIf(URL_ === "")("PostgreSQL IO on a real server", () => {
  beforeAll(async () => {
    connection = connectionOf(URL_);
    admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    await sql("DROP TABLE IF EXISTS readings");
    await sql("CREATE TABLE readings (id bigint PRIMARY KEY, k integer, v text)");
    // 1050 rows; every tenth has a NULL partition column, the rest spread over k in [-40, 2000].
    await sql(`INSERT INTO readings SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE (i * 37) % 2041 - 40 END, 'r' || i FROM generate_series(1, 1050) i`);
  });

  afterAll(async () => {
    await admin?.end();
  });

  describe("readFromPostgres", () => {
    it("reads the same rows partitioned by a column as with one query, NULLs of the column included", async () => {
      const plain: PostgresRow[] = [];
      const partitioned: PostgresRow[] = [];
      const bounded: PostgresRow[] = [];
      const result = await run((p) => {
        collect(p.apply("Plain", readFromPostgres({ connection, table: "readings" })), plain, "CollectPlain");
        collect(p.apply("Partitioned", readFromPostgres({ connection, table: "readings", partitionColumn: "k", numPartitions: 7 })), partitioned, "CollectPartitioned");
        collect(
          p.apply("Bounded", readFromPostgres({ connection, query: "SELECT id, k, v FROM readings WHERE id > 50", partitionColumn: "k", partitionBounds: [0, 100, 1000] })),
          bounded,
          "CollectBounded",
        );
      });
      expect(plain).toHaveLength(1050);
      expect(sortById(partitioned)).toEqual(sortById(plain));
      expect(sortById(bounded)).toEqual(sortById(plain).filter((r) => (r["id"] as bigint) > 50n));
      expect(plain.filter((r) => r["k"] === null)).toHaveLength(105);
      expect(plain[0]).toEqual({ id: expect.any(BigInt), k: expect.anything(), v: expect.any(String) });
      // 7 ranges + 1 query, 4 ranges: each a query of its own.
      expect(counter(result, "fetches")).toBeGreaterThanOrEqual(1 + 7 + 4 - 2);
    });

    it("streams a table bigger than one fetch through a cursor, fetchSize rows per round trip", async () => {
      const rows: PostgresRow[] = [];
      const result = await run((p) => collect(p.apply(readFromPostgres({ connection, table: "readings", fetchSize: 100 })), rows));
      expect(rows).toHaveLength(1050);
      expect(counter(result, "fetches")).toBe(11); // 10 of 100 rows and one of 50
      expect(counter(result, "rowsRead")).toBe(1050);
    });

    it("spreads the partitions over two threads with --parallelism 2", async () => {
      process.env["BEAM_TS_POSTGRES_TEST_URL"] = URL_;
      try {
        const p = new Pipeline({ parallelism: 2, pipelineModule: PARALLEL_MODULE });
        const { buildPartitionedRead } = await import("./fixtures/postgres-pipeline-build.js");
        buildPartitionedRead(p, URL_);
        const result = p.run();
        await result.waitUntilFinish();
        const metrics = result.metrics().queryMetrics({});
        const threads = new Set(metrics.stringSets.filter((s) => s.namespace === "postgres-threads").flatMap((s) => [...s.committed]));
        expect(threads.size).toBe(2);
        expect(metrics.counters.filter((c) => c.name === "rowsRead").reduce((n, c) => n + c.committed, 0)).toBe(1050);
      } finally {
        delete process.env["BEAM_TS_POSTGRES_TEST_URL"];
      }
    });

    it("types values by the documented mapping and infers the schema from the columns, which the row coder accepts", async () => {
      await sql("DROP TABLE IF EXISTS typed");
      await sql(`CREATE TABLE typed (id bigint NOT NULL, small smallint, price numeric(10,2), name text NOT NULL, at timestamptz, local timestamp,
        day date, ok boolean, raw bytea, tags int4[], uid uuid, doc jsonb, f real, d double precision)`);
      await sql(`INSERT INTO typed VALUES (9007199254740993, 7, 12.50, 'a', '2024-03-01 12:00:00.123456+02', '2024-03-01 12:00:00.5',
        '2024-03-01', true, '\\x00ff', '{1,NULL,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1]}', 1.5, 2.25),
        (1, NULL, NULL, 'b', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
      const Typed = await inferPostgresSchema({ connection, table: "typed", name: "Typed" });
      expect(Typed.schema.fields.map((f) => [f.name, f.type.kind === "atomic" ? f.type.type : f.type.kind, f.type.nullable === true])).toEqual([
        ["id", "INT64", false],
        ["small", "INT16", true],
        ["price", "logical", true],
        ["name", "STRING", false],
        ["at", "logical", true],
        ["local", "logical", true],
        ["day", "logical", true],
        ["ok", "BOOLEAN", true],
        ["raw", "BYTES", true],
        ["tags", "array", true],
        ["uid", "logical", true],
        ["doc", "STRING", true],
        ["f", "FLOAT", true],
        ["d", "DOUBLE", true],
      ]);
      const rows: PostgresRow[] = [];
      // Through a Reshuffle: every row is encoded with the schema's RowCoder and decoded unchanged.
      await run((p) => collect(p.apply(readFromPostgres({ connection, table: "typed", schema: Typed })).apply(reshuffle()).withSchema(Typed), rows));
      const full = rows.find((r) => r["name"] === "a")!;
      expect(full).toEqual({
        id: 9007199254740993n,
        small: 7,
        price: { unscaledValue: 1250n, scale: 2 } satisfies BigDecimal,
        name: "a",
        at: Date.UTC(2024, 2, 1, 10, 0, 0, 123),
        local: Date.UTC(2024, 2, 1, 12, 0, 0, 500),
        day: Date.UTC(2024, 2, 1) / 86_400_000,
        ok: true,
        raw: new Uint8Array([0, 255]),
        tags: [1, null, 3],
        uid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        doc: '{"a": [1]}',
        f: 1.5,
        d: 2.25,
      });
      expect(rows.find((r) => r["name"] === "b")!["small"]).toBeNull();
    });

    it("fails naming the columns when the rows do not match the given schema", async () => {
      const Typed = await inferPostgresSchema({ connection, table: "typed" });
      await expect(run((p) => p.apply(readFromPostgres({ connection, query: "SELECT id, name FROM typed", schema: Typed })), { maxBundleRetries: 0 })).rejects.toThrow(
        /the rows do not match the schema: the result has no column "small", .*the result.s columns are id \(bigint\), name \(text\)/,
      );
    });

    it("fails naming the address and a hint when the server is down", async () => {
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
          const { port } = s.address() as { port: number };
          s.close(() => resolve(port));
        });
      });
      const down = { ...connection, port };
      await expect(run((p) => p.apply(readFromPostgres({ connection: down, table: "readings" })), { maxBundleRetries: 0 })).rejects.toThrow(
        new RegExp(`cannot connect to PostgreSQL at postgresql://postgres@127\\.0\\.0\\.1:${port}/postgres: .*ECONNREFUSED.*Is the server running and listening`),
      );
    });

    it("never prints the password of a connection string, also when it is wrong", async () => {
      const wrong = URL_.replace(/:[^:@/]+@/, ":not-the-Password-42@");
      let message = "";
      try {
        await run((p) => p.apply(readFromPostgres({ connection: { connectionString: new Secret(wrong) }, table: "readings" })), { maxBundleRetries: 0 });
      } catch (err) {
        message = String(err instanceof Error ? `${err.message}\n${err.stack}` : err);
      }
      expect(message).toMatch(/cannot connect to PostgreSQL at postgresql:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/postgres: password authentication failed.*Check the user and password/);
      expect(message).not.toContain("not-the-Password-42");
    });
  });

  it("ends every connection pool in teardown: no connection of a finished job is left on the server", async () => {
    // A name only this job's connections carry (pg_stat_activity.application_name).
    const named = { ...connection, applicationName: `beam-ts-teardown-${process.pid}` };
    const open = async () =>
      Number((await sql<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [named.applicationName]))[0]!.n);
    await sql("DROP TABLE IF EXISTS torn_down");
    await sql("CREATE TABLE torn_down (id bigint PRIMARY KEY, v text)");
    await run((p) =>
      p
        .apply(readFromPostgres({ connection: named, table: "readings", partitionColumn: "k", numPartitions: 3 }))
        .apply(map((r: PostgresRow) => ({ id: r["id"], v: r["v"] })))
        .apply(writeToPostgres({ connection: named, table: "torn_down", columns: ["id", "v"], mode: "upsert", keys: ["id"] })),
    );
    expect(Number((await sql<{ n: string }>("SELECT count(*) AS n FROM torn_down"))[0]!.n)).toBe(1050);
    // A backend leaves pg_stat_activity a moment after its client hangs up; an idle pooled
    // connection that was never ended would stay for pg's idle timeout (10 s), past this wait.
    for (let i = 0; i < 100 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await open()).toBe(0);
  });

  it("survives the server ending a connection the step holds between bundles: the next query fails with a clear error, the next connection opens", async () => {
    const named = { ...connection, applicationName: `beam-ts-held-${process.pid}` };
    const pool = await openPool(named, "Held");
    try {
      const held = await connectClient(pool, named, "Held");
      await held.query("SELECT 1");
      // Without a listener of ours, the client's "error" event (nobody listens while it is
      // checked out of the pool) is an uncaught exception that ends the worker process.
      expect(held.listenerCount("error")).toBeGreaterThan(0);
      const ended = new Promise((resolve) => held.once("end", resolve));
      await sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [named.applicationName]);
      await ended;
      await expect(held.query("SELECT 1")).rejects.toThrow(/terminat|not queryable|connection/i);
      held.release(true);
      const fresh = await connectClient(pool, named, "Held");
      expect((await fresh.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      fresh.release();
    } finally {
      await pool.end();
    }
  });

  describe("writeToPostgres", () => {
    const ROWS = Array.from({ length: 250 }, (_, i) => ({
      id: BigInt(i),
      name: i % 7 === 0 ? `tab\there\nnew "line" \\ ${i}` : `n${i}`,
      price: { unscaledValue: BigInt(i * 101), scale: 2 } satisfies BigDecimal,
      raw: i % 3 === 0 ? null : new Uint8Array([i % 256, 0]),
      tags: [i, null],
    }));
    const COLUMNS = ["id", "name", "price", "raw", "tags"];

    async function freshTable(name: string, primaryKey = true): Promise<void> {
      await sql(`DROP TABLE IF EXISTS ${name} CASCADE`);
      await sql(`CREATE TABLE ${name} (id bigint ${primaryKey ? "PRIMARY KEY" : ""}, name text, price numeric(12,2), raw bytea, tags int8[])`);
    }

    async function tableRows(name: string) {
      return sql<{ id: string; name: string; price: string; raw: Buffer | null; tags: string[] }>(`SELECT id, name, price::text, raw, tags::text[] FROM ${name} ORDER BY id`);
    }

    function expected(rows = ROWS) {
      return rows.map((r) => ({
        id: String(r.id),
        name: r.name,
        price: (Number(r.price.unscaledValue) / 100).toFixed(2),
        raw: r.raw === null ? null : Buffer.from(r.raw),
        tags: [String(r.tags[0]), null],
      }));
    }

    for (const mode of ["insert", "copy", "upsert"] as const) {
      it(`writes every row exactly as given in mode "${mode}", in batches`, async () => {
        const table = `written_${mode}`;
        await freshTable(table);
        const result = await run((p) =>
          p.apply(create(ROWS)).apply(writeToPostgres({ connection, table, columns: COLUMNS, mode, batchSize: 40, ...(mode === "upsert" ? { keys: ["id"] } : {}) })),
        );
        expect(await tableRows(table)).toEqual(expected());
        expect(counter(result, "rowsWritten")).toBe(250);
      });
    }

    it("upserts: updates existing rows by key, and the last of a key in a batch wins", async () => {
      await freshTable("upserted");
      await sql("INSERT INTO upserted (id, name) VALUES (1, 'old'), (2, 'keep')");
      const rows = [
        { id: 1n, name: "first" },
        { id: 3n, name: "x" },
        { id: 1n, name: "last" },
      ];
      await run((p) => p.apply(create(rows)).apply(writeToPostgres({ connection, table: "upserted", columns: ["id", "name"], mode: "upsert", keys: ["id"] })));
      expect(await sql("SELECT id::int, name FROM upserted ORDER BY id")).toEqual([
        { id: 1, name: "last" },
        { id: 2, name: "keep" },
        { id: 3, name: "x" },
      ]);
    });

    it("writes with a statement and values per element", async () => {
      await freshTable("statemented");
      await run((p) =>
        p.apply(create([1, 2, 3])).apply(writeToPostgres({ connection, statement: "INSERT INTO statemented (id, name) VALUES ($1, $2 || '!')", values: (i: number) => [i, `s${i}`] })),
      );
      expect(await sql("SELECT id::int, name FROM statemented ORDER BY id")).toEqual([
        { id: 1, name: "s1!" },
        { id: 2, name: "s2!" },
        { id: 3, name: "s3!" },
      ]);
    });

    it("rolls back a bundle that fails before its commit: the retried bundle writes each row once, even in insert mode", async () => {
      await freshTable("retried", false); // no key: a duplicate would stay
      // The server fails the first attempt at row 9, after rows 0-7 went in 4 batches of 2. A
      // sequence counts attempts: nextval is not undone by a rollback.
      await sql("DROP SEQUENCE IF EXISTS retried_attempts");
      await sql("CREATE SEQUENCE retried_attempts");
      await sql(`CREATE OR REPLACE FUNCTION fail_first_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.id = 9 AND nextval('retried_attempts') = 1 THEN
            RAISE EXCEPTION 'injected failure after 8 rows' USING ERRCODE = '40001';
          END IF;
          RETURN NEW;
        END $$`);
      await sql("CREATE TRIGGER fail_first_attempt BEFORE INSERT ON retried FOR EACH ROW EXECUTE FUNCTION fail_first_attempt()");
      await run((p) => p.apply(create(ROWS.slice(0, 10))).apply(writeToPostgres({ connection, table: "retried", columns: COLUMNS, batchSize: 2 })));
      expect(await sql("SELECT last_value::int AS attempts FROM retried_attempts")).toEqual([{ attempts: 2 }]);
      expect(await tableRows("retried")).toEqual(expected(ROWS.slice(0, 10)));
    });

    /** A step after the write whose finishBundle fails once: the bundle fails after the write committed. */
    function failAfterCommitOnce(state: { failed: boolean }): DoFn<BadRecord, BadRecord> {
      return {
        process: (r, ctx) => ctx.output(r),
        finishBundle: () => {
          if (!state.failed) {
            state.failed = true;
            throw new Error("injected failure after the commit");
          }
        },
      };
    }

    for (const [mode, copies] of [["upsert", 1], ["insert", 2]] as const) {
      it(`retries a bundle that failed after its commit: ${mode} mode leaves each row ${copies === 1 ? "once" : "twice"}`, async () => {
        const table = `after_commit_${mode}`;
        await freshTable(table, mode === "upsert");
        const state = { failed: false };
        await run((p) => {
          const { failures } = p
            .apply(create(ROWS.slice(0, 20)))
            .apply(writeToPostgres({ connection, table, columns: COLUMNS, mode, batchSize: 5, ...(mode === "upsert" ? { keys: ["id"] } : {}) }));
          failures.apply("AfterCommit", parDo(failAfterCommitOnce(state)));
        });
        expect(state.failed).toBe(true);
        const counts = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} GROUP BY id`);
        expect(counts).toHaveLength(20);
        expect(new Set(counts.map((c) => c.n))).toEqual(new Set([copies]));
      });
    }

    const BAD = [
      { id: 1n, name: "a" },
      { id: 2n, name: "b" },
      { id: 1n, name: "duplicate of 1" },
      { id: 4n, name: "d" },
    ];

    it("fails the bundle naming a row the server refuses, with the constraint and the fix, and commits nothing", async () => {
      await freshTable("refused");
      await expect(
        run((p) => p.apply("Orders", create(BAD)).apply("Save", writeToPostgres({ connection, table: "refused", columns: ["id", "name"] })), { maxBundleRetries: 0 }),
      ).rejects.toThrow(
        /writeToPostgres "Save": the server refused a row to table refused: duplicate key value violates unique constraint "refused_pkey" \(23505; Key \(id\)=\(1\) already exists\.\)\. The row: \{"id":"1n","name":"duplicate of 1"\}\. .*badRecords: "deadLetter"/,
      );
      expect(await sql("SELECT * FROM refused")).toEqual([]);
    });

    it('sends refused rows to failures as BadRecords with badRecords: "deadLetter" and writes the others', async () => {
      await freshTable("dead_lettered");
      const failures: BadRecord[] = [];
      const result = await run((p) => {
        const out = p.apply(create(BAD)).apply("Save", writeToPostgres({ connection, table: "dead_lettered", columns: ["id", "name"], badRecords: "deadLetter", batchSize: 10 }));
        collect(out.failures, failures);
      });
      expect(await sql("SELECT id::int, name FROM dead_lettered ORDER BY id")).toEqual([
        { id: 1, name: "a" },
        { id: 2, name: "b" },
        { id: 4, name: "d" },
      ]);
      expect(failures).toEqual([
        expect.objectContaining({
          step: "Save/Write",
          element: expect.objectContaining({ preview: '{"id":"1n","name":"duplicate of 1"}' }),
          error: expect.objectContaining({ type: "PostgresIOError", message: expect.stringMatching(/duplicate key value .*23505/) }),
          window: "GlobalWindow",
        }),
      ]);
      expect(counter(result, "rowsRefused")).toBe(1);
      expect(counter(result, "rowsWritten")).toBe(3);
    });
  });
});
