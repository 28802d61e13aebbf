/**
 * `npm run bench:postgres`: writeToPostgres rows/s in "copy" and "insert" modes against a
 * plain COPY with pg-copy-streams (one connection, one transaction, no Beam) in the same run,
 * on a throwaway server (tools/servers/postgres.mjs). Rows: (id bigint, name text, price
 * numeric, at timestamptz). `BENCH_PG_ROWS` (default 200 000) and `BENCH_PG_REPEATS` (3;
 * the best of them is reported).
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Pipeline, Secret, create } from "../src/index.js";
import { writeToPostgres, type PostgresWriteMode } from "../src/io/postgres/index.js";
import { copyTextRow } from "../src/io/postgres/row-encoding.js";
import { startPostgres } from "../tools/servers/postgres.mjs";

const ROWS = Number(process.env["BENCH_PG_ROWS"] ?? 200_000);
const REPEATS = Number(process.env["BENCH_PG_REPEATS"] ?? 3);

interface Row {
  readonly id: bigint;
  readonly name: string;
  readonly price: { unscaledValue: bigint; scale: number };
  readonly at: Date;
}

const rows: Row[] = Array.from({ length: ROWS }, (_, i) => ({
  id: BigInt(i),
  name: `customer-${i % 9973}`,
  price: { unscaledValue: BigInt((i * 7919) % 1_000_000), scale: 2 },
  at: new Date(1_700_000_000_000 + i * 1000),
}));
const COLUMNS = ["id", "name", "price", "at"];

const server = await startPostgres();
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
const connection = { host: server.host, port: server.port, user: server.user, database: server.database, password: new Secret(server.password) };

async function freshTable(): Promise<void> {
  await admin.query("DROP TABLE IF EXISTS bench");
  await admin.query("CREATE TABLE bench (id bigint, name text, price numeric(12,2), at timestamptz)");
}

async function plainCopy(): Promise<void> {
  await admin.query("BEGIN");
  const stream = admin.query(copyFrom("COPY bench (id, name, price, at) FROM STDIN"));
  const chunks = function* () {
    for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000).map((r) => copyTextRow([r.id, r.name, r.price, r.at])).join("");
  };
  await pipeline(Readable.from(chunks()), stream);
  await admin.query("COMMIT");
}

async function beamWrite(mode: PostgresWriteMode): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  p.apply(create(rows)).apply(writeToPostgres({ connection, table: "bench", columns: COLUMNS, mode, batchSize: 1000 }));
  await p.run().waitUntilFinish();
}

async function measure(name: string, body: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    await freshTable();
    const start = performance.now();
    await body();
    best = Math.min(best, performance.now() - start);
    const { rows: counted } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM bench");
    if (counted[0]!.n !== ROWS) throw new Error(`${name} wrote ${counted[0]!.n} rows, not ${ROWS}`);
  }
  const rate = ROWS / (best / 1000);
  console.log(`${name.padEnd(28)} ${Math.round(rate).toLocaleString("en").padStart(10)} rows/s  (${best.toFixed(0)} ms for ${ROWS} rows, best of ${REPEATS})`);
  return rate;
}

try {
  const copy = await measure("plain COPY (pg-copy-streams)", plainCopy);
  const beamCopy = await measure('writeToPostgres "copy"', () => beamWrite("copy"));
  const beamInsert = await measure('writeToPostgres "insert"', () => beamWrite("insert"));
  console.log(`copy mode: ${(beamCopy / copy).toFixed(2)} of plain COPY; insert mode: ${(beamInsert / copy).toFixed(2)}`);
} finally {
  await admin.end();
  await server.stop();
}
