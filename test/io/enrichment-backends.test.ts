/**
 * Enrichment on the real PostgreSQL and Redis servers of test/job-services-setup.ts
 * (BEAM_TS_SERVERS without "postgres" or "redis" skips their tests): batched lookups
 * (WHERE key = ANY($1), MGET), the shared cache, and missing keys.
 */
import pg from "pg";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, Secret, create, type PipelineResult } from "../../src/index.js";
import { assertThat } from "../../src/testing/index.js";
import { enrich } from "../../src/ml/index.js";
import { clearEnrichmentCaches } from "../../src/ml/enrichment-cache.js";
import { postgresEnrichmentHandler } from "../../src/io/postgres/index.js";
import { redisEnrichmentHandler } from "../../src/io/redis/index.js";

const postgresUrl = inject("postgresUrl");
const redisUrl = inject("redisUrl");
const KEYS = 200;

const counter = (result: PipelineResult, name: string) => result.metrics().queryMetrics({ name }).counters.reduce((s, c) => s + c.attempted, 0);

/** 20 000 orders over KEYS customers and one unknown customer, each order joined with its customer's name. */
async function runOrders<R>(handler: Parameters<typeof enrich<number, R, string>>[0], nameOf: (r: R) => string, prefix = ""): Promise<PipelineResult> {
  clearEnrichmentCaches();
  const p = new Pipeline();
  const orders = Array.from({ length: 20_000 }, (_, i) => i);
  const { output, failures } = p
    .apply(create(orders))
    .apply(enrich(handler, { key: (i: number) => `${prefix}${i === 7 ? 999_999 : i % KEYS}`, joinFn: (i, r) => `${i}:${nameOf(r!)}`, onMissing: "deadLetter" }));
  assertThat(output).satisfies((xs) => {
    expect(xs.length).toBe(orders.length - 1);
    expect(xs.every((x) => x.endsWith(`:customer ${Number(x.split(":")[0]) % KEYS}`))).toBe(true);
  });
  assertThat(failures).satisfies((fs) => expect(fs.map((f) => f.key)).toEqual([`${prefix}999999`]));
  const result = p.run();
  await result.waitUntilFinish();
  return result;
}

describe.skipIf(postgresUrl === "")("postgresEnrichmentHandler on a real server", () => {
  const admin = new pg.Client({ connectionString: postgresUrl });
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS enrich_customers; CREATE TABLE enrich_customers (id integer PRIMARY KEY, name text, tier text)`);
    await admin.query(`INSERT INTO enrich_customers SELECT g, 'customer ' || g, 'gold' FROM generate_series(0, ${KEYS - 1}) g`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS enrich_customers`);
    await admin.end();
  });

  it("joins rows fetched in batches with WHERE key = ANY($1), one lookup per key however many elements", async () => {
    const handler = postgresEnrichmentHandler({ connection: { connectionString: new Secret(postgresUrl) }, table: "enrich_customers", keyColumn: "id", columns: ["name"] });
    const result = await runOrders(handler, (r: Record<string, unknown>) => String(r["name"]));
    expect(counter(result, "lookups")).toBe(KEYS + 1);
    expect(counter(result, "lookup_batches")).toBeLessThan(KEYS / 2);
  }, 60_000);
});

describe.skipIf(redisUrl === "")("redisEnrichmentHandler on a real server", () => {
  // A database no other test file flushes (tools/servers/redis.mjs has 32), and keys of our own, removed one by one.
  const db = 24;
  const keys = Array.from({ length: KEYS }, (_, i) => `enrich-test:${i}`);
  const admin = createClient({ url: `${redisUrl}/${db}` });
  beforeAll(async () => {
    admin.on("error", () => {});
    await admin.connect();
    await admin.mSet(keys.map((k, i) => [k, JSON.stringify({ name: `customer ${i}` })] as [string, string]));
  });
  afterAll(async () => {
    await admin.del(keys);
    admin.destroy();
  });

  it("joins values fetched in batches with MGET, one lookup per key however many elements", async () => {
    const handler = redisEnrichmentHandler<{ name: string }>({ connection: { url: new Secret(`${redisUrl}/${db}`) } });
    const result = await runOrders(handler, (r: { name: string }) => r.name, "enrich-test:");
    expect(counter(result, "lookups")).toBe(KEYS + 1);
    expect(counter(result, "lookup_batches")).toBeLessThan(KEYS / 2);
  }, 60_000);
});
