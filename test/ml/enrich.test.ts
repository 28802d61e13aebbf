import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, create, type PipelineResult } from "../../src/index.js";
import { assertThat } from "../../src/testing/index.js";
import { enrich } from "../../src/ml/enrich.js";
import { clearEnrichmentCaches } from "../../src/ml/enrichment-cache.js";
import type { EnrichmentHandler } from "../../src/ml/enrichment-handler.js";

/** A backend in memory that counts the keys it was asked for and the lookups. */
function memoryHandler(table: ReadonlyMap<string, string>, log: { keys: number; lookups: number; maxBatch: number }): EnrichmentHandler<string, ReadonlyMap<string, string>> {
  return {
    id: `memory-${table.size}`,
    open: () => table,
    lookup: async (t, keys) => {
      log.keys += keys.length;
      log.lookups++;
      log.maxBatch = Math.max(log.maxBatch, keys.length);
      await new Promise((r) => setTimeout(r, 1));
      return keys.map((k) => t.get(k));
    },
    maxBatchSize: 50,
  };
}

const counter = (result: PipelineResult, name: string) => result.metrics().queryMetrics({ name }).counters.reduce((s, c) => s + c.attempted, 0);

afterEach(() => clearEnrichmentCaches());

describe("enrich", () => {
  it("joins elements with their lookups; the shared cache makes 100k elements over 1k keys cost 1k key lookups", async () => {
    const table = new Map(Array.from({ length: 1000 }, (_, i) => [`k${i}`, `v${i}`] as const));
    const log = { keys: 0, lookups: 0, maxBatch: 0 };
    const p = new Pipeline();
    const n = 100_000;
    const out = p
      .apply(create(Array.from({ length: n }, (_, i) => i)))
      .apply(enrich(memoryHandler(table, log), { key: (i: number) => `k${i % 1000}`, joinFn: (i, v) => (v === `v${i % 1000}` ? 1 : 0) }));
    assertThat(out).satisfies((xs) => {
      expect(xs.length).toBe(n);
      expect(xs.every((x) => x === 1)).toBe(true);
    });
    const result = p.run();
    await result.waitUntilFinish();
    expect(log.keys).toBe(1000);
    expect(log.maxBatch).toBeLessThanOrEqual(50);
    expect(counter(result, "cache_misses")).toBeLessThan(n / 10);
    expect(counter(result, "cache_hits") + counter(result, "cache_misses")).toBe(n);
  }, 60_000);

  it("drops, passes through or dead-letters elements whose key is missing, as onMissing says", async () => {
    const table = new Map([["a", "A"]]);
    const log = { keys: 0, lookups: 0, maxBatch: 0 };
    const p = new Pipeline();
    const input = p.apply(create(["a", "zz"]));
    const join = (k: string, v: string | undefined) => `${k}=${v ?? "?"}`;
    const handler = memoryHandler(table, log);
    assertThat(input.apply("Drop", enrich(handler, { key: (k: string) => k, joinFn: join, onMissing: "drop" }))).containsInAnyOrder(["a=A"]);
    assertThat(input.apply("Pass", enrich(handler, { key: (k: string) => k, joinFn: join, onMissing: "passThrough" }))).containsInAnyOrder(["a=A", "zz=?"]);
    const { output, failures } = input.apply("Dead", enrich(handler, { key: (k: string) => k, joinFn: join, onMissing: "deadLetter" }));
    assertThat(output).containsInAnyOrder(["a=A"]);
    assertThat(failures).satisfies((fs) => {
      expect(fs.map((f) => f.key)).toEqual(["zz"]);
      expect(fs[0]!.reason).toContain("nothing for key");
    });
    await p.run().waitUntilFinish();
  });
});
