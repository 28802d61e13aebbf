import { describe, expect, inject, it } from "vitest";
import {
  Pipeline,
  asSingleton,
  assertThat,
  combineGlobally,
  combinePerKey,
  create,
  fixedWindows,
  flatMap,
  groupByKey,
  kv,
  map,
  parDo,
  sum,
  windowInto,
  withTimestamps,
  type CombineFn,
  type KV,
} from "../../src/index.js";

/** The Prism job service test/job-services-setup.ts started for this run. */
const prism = { endpoint: inject("prismEndpoint") };

describe("pipelines on Prism through the beam-ts SDK harness (loopback)", () => {
  it("runs ParDos in this process's harness and GroupByKey in Prism", async () => {
    const seen: string[] = [];
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    p.apply(create(["the cat", "the hat", "a cat"]))
      .apply("Split", flatMap((line: string) => line.split(" ")))
      .apply("Pair", map((w: string) => kv(w, 1)))
      .apply(groupByKey<string, number>())
      .apply("Count", map((g: KV<string, Iterable<number>>) => `${g.key}: ${[...g.value].length}`))
      .apply("Collect", parDo<string, never>({ process: (s) => void seen.push(s) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.sort()).toEqual(["a: 1", "cat: 2", "hat: 1", "the: 2"]);
  }, 120_000);

  it("groups per fixed window with timestamps set in the harness", async () => {
    const seen: string[] = [];
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    p.apply(create([kv("a", 1_000), kv("a", 2_000), kv("a", 61_000), kv("b", 3_000)]))
      .apply(withTimestamps((e: KV<string, number>) => e.value))
      .apply(windowInto(fixedWindows(60_000)))
      .apply(groupByKey<string, number>())
      .apply(
        "Collect",
        parDo<KV<string, Iterable<number>>, never>({
          process: (g, ctx) => void seen.push(`${g.key} ${ctx.window.toString()} ${[...g.value].sort((x, y) => x - y).join(",")} ${ctx.pane.timing}`),
        }),
      );
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.sort()).toEqual([
      "a [1970-01-01T00:00:00.000Z, 1970-01-01T00:01:00.000Z) 1000,2000 ON_TIME",
      "a [1970-01-01T00:01:00.000Z, 1970-01-01T00:02:00.000Z) 61000 ON_TIME",
      "b [1970-01-01T00:00:00.000Z, 1970-01-01T00:01:00.000Z) 3000 ON_TIME",
    ]);
  }, 120_000);

  it("checks results with assertThat (side inputs over the state API), on the runner", async () => {
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    const counts = p
      .apply(create(["x", "y", "x"]))
      .apply("Pair", map((w: string) => kv(w, 1)))
      .apply(groupByKey<string, number>())
      .apply("Count", map((g: KV<string, Iterable<number>>) => kv(g.key, [...g.value].length)));
    assertThat(counts).containsInAnyOrder([kv("x", 2), kv("y", 1)]);
    expect(await p.run().waitUntilFinish()).toBe("DONE");
  }, 120_000);

  it("fails the job when an assertion fails on the runner", async () => {
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    assertThat(p.apply(create([1, 2]))).containsInAnyOrder([1, 3]);
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/failed/);
  }, 120_000);

  it("reads a singleton side input", async () => {
    const seen: string[] = [];
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    const total = asSingleton(p.apply("Numbers", create([1, 2, 3])).apply(combineGlobally(sum())));
    p.apply("Words", create(["a", "b"]))
      .apply(parDo<string, string>({ process: (w, ctx) => ctx.output(`${w}${ctx.sideInput(total)}`) }, { sideInputs: [total] }))
      .apply("Collect", parDo<string, never>({ process: (s) => void seen.push(s) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.sort()).toEqual(["a6", "b6"]);
  }, 120_000);

  it("lifts Combine.perKey: the harness pre-combines each bundle, so Prism's GroupByKey gets accumulators", async () => {
    // The CombineFn runs in this process's harness (loopback), so its calls can be counted.
    const calls = { addInput: 0, mergeCalls: 0, merged: 0, extract: 0 };
    const countingSum: CombineFn<number, number, number> = {
      name: "CountingSum",
      createAccumulator: () => 0,
      addInput: (a, x) => (calls.addInput++, a + x),
      mergeAccumulators(accs) {
        calls.mergeCalls++;
        let total = 0;
        for (const a of accs) {
          calls.merged++;
          total += a;
        }
        return total;
      },
      extractOutput: (a) => (calls.extract++, a),
    };
    const values = Array.from({ length: 300 }, (_, i) => kv(`k${i % 3}`, i));
    const seen: string[] = [];
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    p.apply(create(values))
      .apply("Sum", combinePerKey(countingSum))
      .apply("Collect", parDo<KV<string, number>, never>({ process: (e) => void seen.push(`${e.key}=${e.value}`) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.sort()).toEqual(["k0=14850", "k1=14950", "k2=15050"]);
    expect(calls.addInput).toBe(300);
    // Unlifted, the expansion combines the grouped values with addInput alone. Lifted, each
    // key's grouped accumulators (one per key and bundle, not 100 elements) are merged once.
    expect(calls.mergeCalls).toBe(3);
    expect(calls.merged).toBeGreaterThanOrEqual(3);
    expect(calls.merged).toBeLessThan(30);
    expect(calls.extract).toBe(3);
  }, 120_000);

  it("stamps lifted combines per window with the LATEST timestamp combiner", async () => {
    const seen: string[] = [];
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism.endpoint });
    p.apply(create([kv("a", 1_000), kv("a", 5_000), kv("a", 61_000), kv("b", 3_000)]))
      .apply(withTimestamps((e: KV<string, number>) => e.value))
      .apply(windowInto(fixedWindows(60_000), { timestampCombiner: "LATEST" }))
      .apply("Sum", combinePerKey(sum()))
      .apply("Collect", parDo<KV<string, number>, never>({ process: (e, ctx) => void seen.push(`${e.key}=${e.value}@${ctx.timestamp}`) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.sort()).toEqual(["a=6000@5000", "a=61000@61000", "b=3000@3000"]);
  }, 120_000);

  it("starts its own local Prism for --runner=prism without --jobEndpoint", async () => {
    const p = new Pipeline({ runner: "prism" });
    assertThat(p.apply(create(["a", "b"])).apply(map((s: string) => s.toUpperCase()))).containsInAnyOrder(["A", "B"]);
    expect(await p.run().waitUntilFinish()).toBe("DONE");
  }, 600_000);
});
