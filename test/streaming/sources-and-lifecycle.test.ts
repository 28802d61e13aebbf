import { describe, expect, it } from "vitest";
import {
  ConstructionError,
  Pipeline,
  Triggers,
  assertThat,
  combineGlobally,
  combinePerKey,
  count,
  fixedWindows,
  flattenAll,
  MIN_TIMESTAMP,
  generateSequence,
  globalWindows,
  groupByKey,
  kv,
  map,
  parDo,
  periodicImpulse,
  read,
  reifyPanes,
  sum,
  testStream,
  windowInto,
  type KV,
  type Source,
} from "../../src/index.js";

describe("sources", () => {
  it("generateSequence with an end is a bounded PCollection of exactly those numbers", async () => {
    const p = new Pipeline();
    const numbers = p.apply(generateSequence({ from: 5, to: 25_005 }));
    expect(numbers.isBounded).toBe(true);
    assertThat(numbers.apply(combineGlobally(sum()))).containsInAnyOrder([
      Array.from({ length: 25_000 }, (_, i) => i + 5).reduce((a, b) => a + b, 0),
    ]);
    await p.run().waitUntilFinish();
  });

  it("generateSequence with a rate is unbounded, and emits every number once", async () => {
    const p = new Pipeline();
    const numbers = p.apply(generateSequence({ to: 50, rate: { elements: 1000, period: 1000 }, timestamp: (n) => n * 10 }));
    expect(numbers.isBounded).toBe(false);
    const perWindow = numbers
      .apply(windowInto(fixedWindows(100)))
      .apply(map((n: number) => kv("n", n)))
      .apply(combinePerKey(count()))
      .apply(map((c: KV<string, number>) => c.value));
    assertThat(perWindow).containsInAnyOrder([10, 10, 10, 10, 10]);
    await p.run().waitUntilFinish();
  });

  it("periodicImpulse follows the TestStream clock and stops after its stop time", async () => {
    const p = new Pipeline();
    p.apply(testStream("pt +2500 | pt +10s"));
    const ticks = p.apply(periodicImpulse({ start: 0, stop: 4_000, interval: 1_000 }));
    assertThat(ticks).containsInAnyOrder([0, 1_000, 2_000, 3_000, 4_000]);
    await p.run().waitUntilFinish();
  });

  it("reads a user source that reports its watermark, firing windows as it advances", async () => {
    const fired: string[] = [];
    const source: Source<number> = {
      isBounded: false,
      toString: () => "ThreeBatches",
      createReader() {
        const batches = [[1_000, 2_000], [11_000], [21_000]];
        let i = 0;
        return {
          read: () => {
            const batch = batches[i++] ?? [];
            const done = i > batches.length;
            return { elements: batch.map((t) => ({ value: t, timestamp: t })), watermark: batch.at(-1) ?? 30_000, done };
          },
        };
      },
    };
    const p = new Pipeline();
    p.apply(read(source))
      .apply(windowInto(fixedWindows(10_000)))
      .apply(map((t: number) => kv("k", t)))
      .apply(groupByKey<string, number>())
      .apply(
        parDo<KV<string, Iterable<number>>, never>({
          process: (g, ctx) => void fired.push(`${[...g.value].join(",")} ${ctx.pane.timing}`),
        }),
      );
    await p.run().waitUntilFinish();
    expect(fired).toEqual(["1000,2000 ON_TIME", "11000 ON_TIME", "21000 ON_TIME"]);
  });

  it("an idle source does not hold back a flattened PCollection's watermark", async () => {
    const fired: string[] = [];
    const idle: Source<number> = {
      isBounded: false,
      toString: () => "Idle",
      createReader: () => ({ read: (_max, now) => ({ elements: [], watermark: MIN_TIMESTAMP, idle: true, nextReadAt: now + 10 }) }),
    };
    const busy: Source<number> = {
      isBounded: false,
      toString: () => "Busy",
      createReader() {
        let i = 0;
        return { read: () => (i++ === 0 ? { elements: [{ value: 1, timestamp: 1_000 }], watermark: 20_000 } : { elements: [], watermark: 20_000, nextReadAt: Infinity }) };
      },
    };
    const p = new Pipeline();
    flattenAll([p.apply("Idle", read(idle)), p.apply("Busy", read(busy))])
      .apply(windowInto(fixedWindows(10_000)))
      .apply(map((n: number) => kv("k", n)))
      .apply(groupByKey<string, number>())
      .apply(parDo<KV<string, Iterable<number>>, never>({ process: (g, ctx) => void fired.push(`${[...g.value]} ${ctx.pane.timing}`) }));
    const result = p.run();
    for (let i = 0; i < 100 && fired.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await result.cancel();
    // The window fired on time while the job was still running: the idle source did not hold it.
    expect(fired).toEqual(["1 ON_TIME"]);
  });

  it("fails the job with the source's name when its watermark goes backwards", async () => {
    const source: Source<number> = {
      isBounded: false,
      toString: () => "Backwards",
      createReader() {
        let i = 0;
        return { read: () => ({ elements: [], watermark: [5_000, 1_000][i++] ?? 9_000, done: i > 2 }) };
      },
    };
    const p = new Pipeline();
    p.apply("ReadBackwards", read(source));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/Source "ReadBackwards" moved its watermark backwards/);
  });
});

describe("streaming job lifecycle", () => {
  it("drain stops the sources, fires every open window and ends DRAINED", async () => {
    const counts: number[] = [];
    const p = new Pipeline();
    p.apply(generateSequence({ rate: { elements: 2000, period: 1000 }, timestamp: (n) => n }))
      .apply(windowInto(fixedWindows(60_000)))
      .apply(map((n: number) => kv("all", n)))
      .apply(combinePerKey(count()))
      .apply(parDo<KV<string, number>, never>({ process: (c) => void counts.push(c.value) }));
    const result = p.run();
    await new Promise((r) => setTimeout(r, 150));
    expect(result.state).toBe("RUNNING");
    const state = await result.drain();
    expect(state).toBe("DRAINED");
    // The only window is still open when the drain starts; it fires on the way out.
    expect(counts.length).toBe(1);
    expect(counts[0]).toBeGreaterThan(0);
  });

  it("cancel stops an unbounded job without firing its open windows", async () => {
    const counts: number[] = [];
    const p = new Pipeline();
    p.apply(generateSequence({ rate: { elements: 1000, period: 1000 } }))
      .apply(windowInto(fixedWindows(3_600_000)))
      .apply(map((n: number) => kv("all", n)))
      .apply(combinePerKey(count()))
      .apply(parDo<KV<string, number>, never>({ process: (c) => void counts.push(c.value) }));
    const result = p.run();
    await new Promise((r) => setTimeout(r, 50));
    expect(await result.cancel()).toBe("CANCELLED");
    expect(counts).toEqual([]);
  });

  it("rejects a GroupByKey of unbounded data in the global window with the default trigger", () => {
    const p = new Pipeline();
    const unbounded = p.apply(generateSequence({ rate: { elements: 1, period: 1000 } })).apply(map((n: number) => kv(n, n)));
    expect(() => unbounded.apply(groupByKey<number, number>())).toThrow(ConstructionError);
    expect(() => unbounded.apply("Again", groupByKey<number, number>())).toThrow(/would never fire/);
  });

  it("accepts the same GroupByKey once a trigger is set; the window's expiry adds Beam's empty ON_TIME pane", async () => {
    const p = new Pipeline();
    const grouped = p
      .apply(testStream<KV<string, number>>("a:1@1s | a:2@2s", { kv: true }))
      .apply(windowInto(globalWindows(), { trigger: Triggers.repeatedly(Triggers.afterCount(1)), accumulationMode: "DISCARDING" }))
      .apply(groupByKey<string, number>())
      .apply(map((g: KV<string, Iterable<number>>) => [...g.value]));
    // Garbage collection at the end fires the still-open window once more; as no ON_TIME
    // pane fired before, that pane is ON_TIME and Beam emits it even empty (FIRE_ALWAYS).
    assertThat(grouped).containsInAnyOrder([[1], [2], []]);
    await p.run().waitUntilFinish();
  });

  it("rejects a trigger that may finish early unless --allowUnsafeTriggers", async () => {
    const build = (p: Pipeline) =>
      p
        .apply(testStream<KV<string, number>>("a:1@1s | a:2@2s | a:3@3s", { kv: true }))
        .apply(windowInto(globalWindows(), { trigger: Triggers.afterCount(2), accumulationMode: "DISCARDING" }))
        .apply(groupByKey<string, number>());
    expect(() => build(new Pipeline())).toThrow(/unsafe trigger AfterPane.elementCountAtLeast\(2\) may lose data/);
    const p = new Pipeline({ allowUnsafeTriggers: true });
    const grouped = build(p).apply(map((g: KV<string, Iterable<number>>) => [...g.value]));
    assertThat(grouped).containsInAnyOrder([[1, 2]]);
    const result = p.run();
    await result.waitUntilFinish();
    const closed = result.metrics().queryMetrics({ name: "droppedDueToClosedWindow" }).counters;
    expect(closed.map((c) => c.committed)).toEqual([1]);
  });
});

describe("a source that never waits", () => {
  it("still lets timers run, so drain works on an unthrottled unbounded source", async () => {
    let total = 0;
    const p = new Pipeline();
    p.apply(generateSequence({ timestamp: (n) => n }))
      .apply(windowInto(fixedWindows(1_000_000_000)))
      .apply(map((n: number) => kv("all", n)))
      .apply(combinePerKey(count()))
      .apply(parDo<KV<string, number>, never>({ process: (c) => void (total += c.value) }));
    const result = p.run();
    await new Promise((r) => setTimeout(r, 100));
    expect(await result.drain()).toBe("DRAINED");
    expect(total).toBeGreaterThan(0);
  });
});

describe("timestamp skew", () => {
  const backwards = (skew?: number) => {
    const p = new Pipeline({ maxBundleRetries: 0 });
    const out = p
      .apply(testStream<number>("5@10s"))
      .apply(
        "Back",
        parDo<number, number>(
          { process: (x, ctx) => ctx.outputWithTimestamp(x, ctx.timestamp - 1_000) },
          skew === undefined ? {} : { allowedTimestampSkew: skew },
        ),
      );
    return { p, out };
  };

  it("fails a DoFn that outputs earlier than its input, naming the transform and the fix", async () => {
    const { p } = backwards();
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/Transform "Back" failed .*cannot output with timestamp .*allowedTimestampSkew/s);
  });

  it("allows it within allowedTimestampSkew", async () => {
    const { p, out } = backwards(1_000);
    assertThat(out.apply(reifyPanes())).containsInAnyOrder([{ value: 5, timestamp: 9_000, window: "global", pane: "UNKNOWN#0/0 first last" }]);
    await p.run().waitUntilFinish();
  });
});
