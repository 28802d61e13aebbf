import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  IntervalWindow,
  OptionsError,
  Pipeline,
  Triggers,
  coGroupByKey,
  combinePerKey,
  create,
  doubleCoder,
  flattenAll,
  kvCoder,
  varIntCoder,
  fixedWindows,
  groupByKey,
  sessions,
  kv,
  parDo,
  statefulParDo,
  StateSpecs,
  TimerSpecs,
  asSingleton,
  combineGlobally,
  sum,
  generateSequence,
  map,
  windowInto,
  withTimestamps,
  type ByteReader,
  type ByteWriter,
  type CombineFn,
  type KV,
  type MetricQueryResults,
  type PCollection,
  type StateSpec,
  type ValueState,
  type WindowFn,
} from "../../src/index.js";
import { getHeapStatistics } from "node:v8";
import { embeddedSettings } from "../../src/runners/embedded/index.js";
import { SortedSpill } from "../../src/runners/embedded/spill/sorted-spill.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "beam-ts-spill-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a pipeline, returning every output line of `collect` and the job's metrics. */
async function run(
  options: Record<string, unknown>,
  build: (p: Pipeline) => PCollection<string>,
): Promise<{ lines: string[]; metrics: MetricQueryResults }> {
  const lines: string[] = [];
  const p = new Pipeline(options);
  build(p).apply("Collect", parDo<string, never>({ process: (s) => void lines.push(s) }));
  const result = p.run();
  await result.waitUntilFinish();
  return { lines: lines.sort(), metrics: result.metrics().queryMetrics() };
}

function spillRuns(metrics: MetricQueryResults): number {
  return metrics.counters.filter((c) => c.name === "spillRuns").reduce((n, c) => n + c.committed, 0);
}

/** Each group as one line: key, window, timestamp, pane and the values in arrival order. */
const describeGroups = parDo<KV<string, Iterable<number>>, string>({
  process(e, ctx) {
    const p = ctx.pane;
    ctx.output(`${e.key} ${ctx.window.toString()} @${ctx.timestamp} ${p.timing}#${p.index} ${p.isFirst} ${p.isLast} [${[...e.value].join(",")}]`);
  },
});

/** As describeGroups, values sorted: merged windows join their values in an order that depends on bundling. */
const describeSortedGroups = parDo<KV<string, Iterable<number>>, string>({
  process(e, ctx) {
    const p = ctx.pane;
    const values = [...e.value].sort((a, b) => a - b);
    ctx.output(`${e.key} ${ctx.window.toString()} @${ctx.timestamp} ${p.timing}#${p.index} ${p.isFirst} ${p.isLast} [${values.join(",")}]`);
  },
});

const N = 30_000;
const elements = Array.from({ length: N }, (_, i) => kv(`key-${i % 997}`, i));

describe("GroupByKey under a memory budget (embedded runner)", () => {
  it("spills sorted runs to disk and gives the same groups, panes and value order as in memory", async () => {
    const build = (p: Pipeline) => p.apply(create(elements)).apply(groupByKey<string, number>()).apply(describeGroups);
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "64KB", tempLocation: dir }, build);
    expect(spillRuns(inMemory.metrics)).toBe(0);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    expect(spilled.lines).toHaveLength(997);
    expect(spilled.lines).toEqual(inMemory.lines);
    // The spill directory is gone once the job ends.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("groups fixed windows of timestamped elements exactly as in memory", async () => {
    const build = (p: Pipeline) =>
      p
        .apply(create(elements))
        .apply(withTimestamps((e: KV<string, number>) => e.value * 10))
        .apply(windowInto<KV<string, number>, IntervalWindow>(fixedWindows(60_000)))
        .apply(groupByKey<string, number>())
        .apply(describeGroups);
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: 100_000, tempLocation: dir }, build);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(0);
    expect(spilled.lines).toEqual(inMemory.lines);
  });

  it("keeps the values of an unbounded input's least recently used windows on disk (cold data) and gives the in-memory panes", async () => {
    // Early panes every 100 elements, accumulating, and late data: every path of the runner's windows.
    const build = (p: Pipeline) =>
      p
        .apply(generateSequence({ from: 0, to: N, rate: { elements: 10_000, period: 10 }, timestamp: (i) => i * 10 }))
        .apply(map((i: number) => kv(`key-${i % 997}`, i)))
        .apply(
          windowInto<KV<string, number>, IntervalWindow>(fixedWindows(60_000), {
            trigger: Triggers.afterWatermark({ early: Triggers.afterCount(5) }),
            accumulationMode: "ACCUMULATING",
            allowedLateness: 0,
          }),
        )
        .apply(groupByKey<string, number>())
        .apply(describeSortedGroups);
    const inMemory = await run({ memoryBudget: "none" }, build);
    const cold = await run({ memoryBudget: "64KB", tempLocation: dir }, build);
    const spilledBytes = (m: MetricQueryResults) => m.counters.filter((c) => c.name === "spilledBytes").reduce((n, c) => n + c.committed, 0);
    expect(spilledBytes(inMemory.metrics)).toBe(0);
    expect(spilledBytes(cold.metrics)).toBeGreaterThan(100_000);
    const onTime = (lines: string[]) => lines.filter((l) => l.includes(" ON_TIME#"));
    // Early panes depend on bundling; the final ON_TIME panes (every value of a window) do not.
    expect(onTime(cold.lines)).toHaveLength(997 * 5);
    expect(onTime(cold.lines)).toEqual(onTime(inMemory.lines));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the accumulators of an unbounded input's session windows on disk (cold data) and gives the in-memory results", async () => {
    const build = (p: Pipeline) =>
      p
        // Bursts of 500 elements within 0.5 s, 40 s apart: each key's ten elements of a burst merge into one session.
        .apply(generateSequence({ from: 0, to: N, rate: { elements: 10_000, period: 10 }, timestamp: (i) => Math.floor(i / 500) * 40_000 + (i % 500) }))
        .apply(map((i: number) => kv(`key-${i % 50}`, i)))
        .apply(windowInto<KV<string, number>, IntervalWindow>(sessions(10_000)))
        .apply(combinePerKey(sum()))
        .apply(parDo<KV<string, number>, string>({ process: (e, ctx) => ctx.output(`${e.key} ${ctx.window.toString()} ${e.value}`) }));
    const inMemory = await run({ memoryBudget: "none" }, build);
    const cold = await run({ memoryBudget: "16KB", tempLocation: dir }, build);
    expect(spillRuns(cold.metrics)).toBeGreaterThan(0);
    expect(cold.lines).toHaveLength(50 * 60);
    expect(cold.lines).toEqual(inMemory.lines);
  });

  it("spills the GroupByKey inside CoGroupByKey", async () => {
    const build = (p: Pipeline) => {
      const left = p.apply("Left", create(elements));
      const right = p.apply("Right", create(elements.map((e) => kv(e.key, -e.value))));
      return coGroupByKey({ left, right }).apply(
        parDo<KV<string, { left: Iterable<number>; right: Iterable<number> }>, string>({
          process: (e, ctx) => ctx.output(`${e.key} ${[...e.value.left].length} ${[...e.value.right].reduce((a, b) => a + b, 0)}`),
        }),
      );
    };
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "200KB", tempLocation: dir }, build);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(0);
    expect(spilled.lines).toEqual(inMemory.lines);
  });

  it("merges session windows per key when it reads the key back, as in memory", async () => {
    // Per key, runs of timestamps 100 ms apart separated by gaps: sessions of 1 s gap merge
    // many windows each, across many spilled runs.
    const timed = Array.from({ length: N }, (_, i) => kv(`key-${i % 101}`, i));
    const build = (p: Pipeline) =>
      p
        .apply(create(timed))
        .apply(withTimestamps((e: KV<string, number>) => Math.floor(e.value / 101) * 100 + (Math.floor(e.value / 5050) % 3) * 5_000))
        .apply(windowInto<KV<string, number>, IntervalWindow>(sessions(1_000)))
        .apply(groupByKey<string, number>())
        .apply(describeSortedGroups);
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "128KB", tempLocation: dir }, build);
    const unspilled = await run({ memoryBudget: "1GB", tempLocation: dir }, build);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    expect(spillRuns(unspilled.metrics)).toBe(0);
    expect(inMemory.lines.length).toBeGreaterThan(101);
    expect(spilled.lines).toEqual(inMemory.lines);
    expect(unspilled.lines).toEqual(inMemory.lines);
  });

  it("merges with a custom merging WindowFn (one mergeWindows call over a key's windows)", async () => {
    // Each element gets a 1 ms window; windows in the same second merge into that second.
    const perSecond: WindowFn<IntervalWindow> = {
      urn: "beam-ts:test:merge_by_second:v1",
      isMerging: true,
      assignWindows: ({ timestamp }) => [new IntervalWindow(timestamp, timestamp + 1)],
      mergeWindows(windows) {
        const bySecond = new Map<number, IntervalWindow[]>();
        for (const w of windows) {
          const second = Math.floor(w.start / 1000);
          bySecond.set(second, [...(bySecond.get(second) ?? []), w]);
        }
        return [...bySecond.entries()]
          .filter(([, ws]) => ws.length > 1)
          .map(([second, ws]) => ({ from: ws, result: new IntervalWindow(second * 1000, second * 1000 + 1000) }));
      },
      toString: () => "MergeBySecond",
    };
    const build = (p: Pipeline) =>
      p
        .apply(create(elements))
        .apply(withTimestamps((e: KV<string, number>) => e.value * 7))
        .apply(windowInto<KV<string, number>, IntervalWindow>(perSecond))
        .apply(groupByKey<string, number>())
        .apply(describeSortedGroups);
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "128KB", tempLocation: dir }, build);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    expect(spilled.lines).toEqual(inMemory.lines);
  });

  it("spills a CoGroupByKey over session windows", async () => {
    const build = (p: Pipeline) => {
      const sessionsOf = (name: string, sign: number) =>
        p
          .apply(name, create(elements.map((e) => kv(e.key, sign * e.value))))
          .apply(`${name}Time`, withTimestamps((e: KV<string, number>) => Math.abs(e.value) * 3))
          .apply(`${name}Sessions`, windowInto<KV<string, number>, IntervalWindow>(sessions(2_000)));
      return coGroupByKey({ left: sessionsOf("Left", 1), right: sessionsOf("Right", -1) }).apply(
        parDo<KV<string, { left: Iterable<number>; right: Iterable<number> }>, string>({
          process: (e, ctx) =>
            ctx.output(`${e.key} ${ctx.window.toString()} ${[...e.value.left].sort((a, b) => a - b).join(",")} ${[...e.value.right].length}`),
        }),
      );
    };
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "200KB", tempLocation: dir }, build);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(0);
    expect(spilled.lines).toEqual(inMemory.lines);
  });

  it("adds nothing of a failed bundle: a retried upstream bundle is grouped once", async () => {
    let failures = 0;
    const build = (p: Pipeline) =>
      p
        .apply(create(elements))
        .apply(
          "Flaky",
          parDo<KV<string, number>, KV<string, number>>({
            process(e, ctx) {
              if (e.value === 12_345 && failures++ === 0) throw new Error("transient");
              ctx.output(e);
            },
          }),
        )
        .apply(groupByKey<string, number>())
        .apply(describeGroups);
    const spilled = await run({ memoryBudget: "128KB", tempLocation: dir }, build);
    failures = 0;
    const inMemory = await run({}, build);
    expect(spilled.lines).toEqual(inMemory.lines);
  });

  it("drops a failed bundle's values that went straight to the disk once the GroupByKey had spilled", async () => {
    // The last element fails once: by then the stage has spilled and encodes bundles into the sort as they arrive.
    let failures = 0;
    const build = (p: Pipeline) =>
      p
        .apply(generateSequence({ to: N }))
        .apply(
          "Flaky",
          parDo<number, KV<string, number>>({
            process(n, ctx) {
              ctx.output(kv(`key-${n % 997}`, n));
              if (n === N - 1 && failures++ === 0) throw new Error("transient");
            },
          }),
        )
        .apply(groupByKey<string, number>())
        // The source's bundles may finish in any order: values are compared as sets (no duplicates).
        .apply(map((g: KV<string, Iterable<number>>) => `${g.key} ${[...g.value].sort((a, b) => a - b).join(",")}`));
    const spilled = await run({ memoryBudget: "64KB", tempLocation: dir }, build);
    // Failed once, then retried.
    expect(failures).toBe(2);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    const inMemory = await run({}, build);
    expect(spilled.lines).toEqual(inMemory.lines);
  });

  it("emits every group of every spilling stage when its share was never filled", async () => {
    // More groups than one step emits (GroupByKey and Combine: 1,000; stateful: 10,000
    // elements): the stages must keep stepping after their in-memory table moved into the read.
    const many = Array.from({ length: 40_000 }, (_, i) => kv(`user-${i % 20_000}`, i));
    const build = (p: Pipeline) => {
      const input = p.apply(create(many));
      const grouped = input
        .apply(groupByKey<string, number>())
        .apply("Grouped", parDo<KV<string, Iterable<number>>, string>({ process: (e, ctx) => ctx.output(`g ${e.key} ${[...e.value].length}`) }));
      const summed = input
        .apply(combinePerKey<string, number, number, number>({
          createAccumulator: () => 0,
          addInput: (a, v) => a + v,
          mergeAccumulators: (as) => [...as].reduce((a, b) => a + b, 0),
          extractOutput: (a) => a,
        }))
        .apply("Summed", parDo<KV<string, number>, string>({ process: (e, ctx) => ctx.output(`c ${e.key} ${e.value}`) }));
      const counted = input.apply(
        "Counted",
        statefulParDo({
          state: { n: StateSpecs.value<number>() },
          process(e: KV<string, number>, ctx) {
            ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
          },
          onWindowExpiration(ctx) {
            ctx.output(`s ${String(ctx.key)} ${ctx.state.n.read()}`);
          },
        }),
      ) as PCollection<string>;
      return flattenAll([grouped, summed, counted]);
    };
    const inMemory = await run({}, build);
    const budgeted = await run({ memoryBudget: "1GB", tempLocation: dir }, build);
    expect(spillRuns(budgeted.metrics)).toBe(0);
    expect(inMemory.lines).toHaveLength(60_000);
    expect(budgeted.lines).toEqual(inMemory.lines);
  });

  it("keeps a GroupByKey whose panes depend on arrival out of the sort (a count trigger): its windows' values go cold, its panes stay", async () => {
    const build = (p: Pipeline) =>
      p
        .apply(create(elements.slice(0, 2000)))
        .apply(withTimestamps((e: KV<string, number>) => e.value * 10))
        .apply(windowInto<KV<string, number>, IntervalWindow>(fixedWindows(60_000), { trigger: Triggers.repeatedly(Triggers.afterCount(5)), accumulationMode: "DISCARDING" }))
        .apply(groupByKey<string, number>())
        .apply(describeGroups);
    const inMemory = await run({ memoryBudget: "none" }, build);
    const cold = await run({ memoryBudget: "1KB", tempLocation: dir }, build);
    // A pane of at most 5 values (a count trigger repeated), never one of a whole window as a sort would give.
    expect(cold.lines.length).toBeGreaterThanOrEqual(2000 / 5);
    expect(cold.lines).toEqual(inMemory.lines);
    expect(spillRuns(cold.metrics)).toBeGreaterThan(0);
  });

  it("has a default budget of half the heap limit, at most 512 MiB, for GroupByKeys and Combines; none turns it off", () => {
    const half = Math.min(512 * 2 ** 20, Math.floor(getHeapStatistics().heap_size_limit / 2));
    expect(embeddedSettings({}).memoryBudget).toEqual({ bytes: half, sortsStatefulSteps: false });
    expect(embeddedSettings({ memoryBudget: "none" }).memoryBudget).toBeUndefined();
    expect(embeddedSettings({ memoryBudget: "1.5MB" }).memoryBudget).toEqual({ bytes: 1.5 * 2 ** 20, sortsStatefulSteps: true });
  });

  it("finishes a GroupByKey larger than the heap without options, where --memoryBudget=none runs out of memory", () => {
    // 130 MB of values in a 96 MB heap: the default budget (half the heap limit) spills.
    const runJob = (...args: string[]) =>
      spawnSync(process.execPath, ["--max-old-space-size=96", "--import", "tsx", fileURLToPath(new URL("./fixtures/large-group-by-key.ts", import.meta.url)), ...args], {
        encoding: "utf8",
        env: { ...process.env, TMPDIR: dir },
        timeout: 120_000,
      });
    const byDefault = runJob();
    expect(byDefault.status, byDefault.stderr).toBe(0);
    const report = JSON.parse(byDefault.stdout.trim().split("\n").pop()!) as { groups: number; values: number; runs: number };
    expect(report.groups).toBe(1000);
    expect(report.values).toBe(600_000);
    expect(report.runs).toBeGreaterThan(0);
    const inMemory = runJob("--memoryBudget=none");
    expect(inMemory.status).not.toBe(0);
    expect(inMemory.stderr).toMatch(/heap out of memory/);
  }, 240_000);

  it("fails naming the GroupByKey and the fix when its values cannot be encoded for the disk", async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const build = (p: Pipeline) =>
      p
        .apply(create([1, 2, 3]))
        .apply("ToPoint", parDo<number, KV<string, Point>>({ process: (i, ctx) => ctx.output(kv("k", new Point(i))) }))
        .apply(groupByKey<string, Point>())
        .apply(parDo<KV<string, Iterable<Point>>, string>({ process: (e, ctx) => ctx.output(`${[...e.value].length}`) }));
    // --enforceEncodability (the default) fails such values at the GroupByKey whatever the
    // budget (test/runners/enforcement); without it, they fail only where the disk needs them.
    const unchecked = { enforceEncodability: false };
    expect((await run(unchecked, build)).lines).toEqual(["3"]);
    await expect(run({ ...unchecked, memoryBudget: 1, tempLocation: dir }, build)).rejects.toThrow(
      /GroupByKey "GroupByKey" outgrew its share of the memory budget.*instance of Point.*--memoryBudget=none/s,
    );
  });

  it("rejects a malformed --memoryBudget naming the option", () => {
    const p = new Pipeline({ memoryBudget: "lots" });
    p.apply(create([kv("a", 1)])).apply(groupByKey<string, number>());
    expect(() => p.run()).toThrow(OptionsError);
    expect(() => p.run()).toThrow(/--memoryBudget must be a size such as 512MB/);
  });

  it("rejects a --tempLocation that is not an existing directory when the job is submitted, naming the path and the fix", () => {
    const missing = join(dir, "missing");
    const p = new Pipeline({ memoryBudget: "1KB", tempLocation: missing });
    p.apply(create([kv("a", 1)])).apply(groupByKey<string, number>());
    expect(() => p.run()).toThrow(OptionsError);
    expect(() => p.run()).toThrow(`--tempLocation=${missing}: no such directory. Create it (mkdir -p "${missing}")`);
    expect(() => embeddedSettings({ tempLocation: missing, memoryBudget: "lots" })).toThrow(/--memoryBudget must be.*\n.*--tempLocation=/s);
  });
});

describe("stateful ParDo under a memory budget (embedded runner)", () => {
  /**
   * Per key and window: a bag of the values and a running sum; an event-time timer at the
   * window's end that sets a second one (a timer set by a timer, already due), a
   * processing-time timer, and onWindowExpiration reading the state last.
   */
  const stateful = statefulParDo({
    state: { seen: StateSpecs.bag<number>(), sum: StateSpecs.value<number>() },
    timers: { end: TimerSpecs.timer("EVENT_TIME"), later: TimerSpecs.timer("EVENT_TIME"), flush: TimerSpecs.timer("PROCESSING_TIME") },
    process(e: KV<string, number>, ctx) {
      ctx.state.seen.add(e.value);
      ctx.state.sum.write((ctx.state.sum.read() ?? 0) + e.value);
      ctx.timers.end.set(ctx.window.maxTimestamp());
      ctx.timers.flush.setRelative(60_000);
    },
    onTimer: {
      end(ctx) {
        ctx.output(`${String(ctx.key)} ${ctx.window.toString()} end sum=${ctx.state.sum.read()} [${ctx.state.seen.read().join(",")}]`);
        ctx.timers.later.set(ctx.window.maxTimestamp());
      },
      later(ctx) {
        ctx.output(`${String(ctx.key)} ${ctx.window.toString()} later @${ctx.fireTimestamp}`);
      },
      flush(ctx) {
        ctx.output(`${String(ctx.key)} ${ctx.window.toString()} flush n=${ctx.state.seen.read().length}`);
      },
    },
    onWindowExpiration(ctx) {
      ctx.output(`${String(ctx.key)} ${ctx.window.toString()} expired sum=${ctx.state.sum.read()}`);
    },
  });

  /** `stateful` without its processing-time timer, whose firing in a streaming job depends on the clock. */
  const eventTimeStateful = statefulParDo({
    state: { seen: StateSpecs.bag<number>(), sum: StateSpecs.value<number>() },
    timers: { end: TimerSpecs.timer("EVENT_TIME"), later: TimerSpecs.timer("EVENT_TIME") },
    process(e: KV<string, number>, ctx) {
      ctx.state.seen.add(e.value);
      ctx.state.sum.write((ctx.state.sum.read() ?? 0) + e.value);
      ctx.timers.end.set(ctx.window.maxTimestamp());
    },
    onTimer: {
      end(ctx) {
        ctx.output(`${String(ctx.key)} ${ctx.window.toString()} end sum=${ctx.state.sum.read()} [${ctx.state.seen.read().join(",")}]`);
        ctx.timers.later.set(ctx.window.maxTimestamp());
      },
      later(ctx) {
        ctx.output(`${String(ctx.key)} ${ctx.window.toString()} later @${ctx.fireTimestamp}`);
      },
    },
    onWindowExpiration(ctx) {
      ctx.output(`${String(ctx.key)} ${ctx.window.toString()} expired sum=${ctx.state.sum.read()}`);
    },
  });

  it("runs sorted by key through the disk and gives what the in-memory run gives", async () => {
    const build = (p: Pipeline) =>
      p
        .apply(create(elements))
        .apply(withTimestamps((e: KV<string, number>) => e.value * 10))
        .apply(windowInto<KV<string, number>, IntervalWindow>(fixedWindows(60_000)))
        .apply("Stateful", stateful) as PCollection<string>;
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "256KB", tempLocation: dir }, build);
    expect(spillRuns(inMemory.metrics)).toBe(0);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    // 997 keys × 5 windows, four lines each (end, later, flush, expired).
    expect(spilled.lines).toHaveLength(997 * 5 * 4);
    expect(spilled.lines).toEqual(inMemory.lines);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("holds the state of a bounded number of keys at a time, where memory holds them all", async () => {
    const live = new Set<string>();
    let most = 0;
    const build = (p: Pipeline) =>
      (p
        .apply(create(Array.from({ length: 40_000 }, (_, i) => kv(`user-${i % 20_000}`, i))))
        .apply(
          "Track",
          statefulParDo({
            state: { n: StateSpecs.value<number>() },
            process(e: KV<string, number>, ctx) {
              ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
              live.add(e.key);
              most = Math.max(most, live.size);
            },
            onWindowExpiration(ctx) {
              live.delete(String(ctx.key));
              ctx.output(`${String(ctx.key)}=${ctx.state.n.read()}`);
            },
          }),
        ) as PCollection<string>);
    const inMemory = await run({}, build);
    const inMemoryMost = most;
    most = 0;
    const spilled = await run({ memoryBudget: "256KB", tempLocation: dir }, build);
    expect(spilled.lines).toEqual(inMemory.lines);
    expect(spilled.lines).toHaveLength(20_000);
    expect(inMemoryMost).toBe(20_000);
    // One step's groups at a time (10,000 elements: 5,000 keys of two).
    expect(most).toBeLessThanOrEqual(5_000);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(0);
  });

  it("keeps an unbounded input's state on disk past its share (cold entries) and gives what memory gives", async () => {
    const build = (p: Pipeline) =>
      p
        .apply(generateSequence({ from: 0, to: N, rate: { elements: 10_000, period: 10 }, timestamp: (i) => i * 10 }))
        .apply(map((i: number) => kv(`key-${i % 997}`, i)))
        .apply(windowInto<KV<string, number>, IntervalWindow>(fixedWindows(60_000)))
        .apply("Stateful", eventTimeStateful) as PCollection<string>;
    const inMemory = await run({ memoryBudget: "none" }, build);
    const cold = await run({ memoryBudget: "64KB", tempLocation: dir }, build);
    const spilledBytes = (m: MetricQueryResults) => m.counters.filter((c) => c.name === "spilledBytes").reduce((n, c) => n + c.committed, 0);
    expect(spilledBytes(inMemory.metrics)).toBe(0);
    expect(spilledBytes(cold.metrics)).toBeGreaterThan(100_000);
    // 997 keys × 5 windows, three lines each (end, later, expired).
    expect(cold.lines).toHaveLength(997 * 5 * 3);
    expect(cold.lines).toEqual(inMemory.lines);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("checkpoints and restores a streaming job's state larger than the heap under --memoryBudget, where it runs out of memory without one", () => {
    // 150 MB of bag state in a 96 MB heap: under a budget, cold entries stay on disk.
    const checkpointDir = join(dir, "checkpoints");
    const runJob = (...args: string[]) =>
      spawnSync(process.execPath, ["--max-old-space-size=96", "--import", "tsx", fileURLToPath(new URL("./fixtures/large-stateful-state.ts", import.meta.url)), ...args], {
        encoding: "utf8",
        env: { ...process.env, TMPDIR: dir },
        timeout: 120_000,
      });
    const stopped = runJob("--memoryBudget=32MB", `--checkpointDir=${checkpointDir}`, "--checkpointInterval=1000", "--stopAfterCheckpoint=1");
    expect(stopped.status, stopped.stderr).toBe(0);
    const restored = runJob("--memoryBudget=32MB", `--checkpointDir=${checkpointDir}`, "--checkpointInterval=1000", "--restoreFrom=latest");
    expect(restored.status, restored.stderr).toBe(0);
    const report = JSON.parse(restored.stdout.trim().split("\n").pop()!) as { keys: number; values: number; chars: number; spilledBytes: number };
    expect(report).toMatchObject({ keys: 30_000, values: 150_000, chars: 150_000_000 });
    expect(report.spilledBytes).toBeGreaterThan(50_000_000);
    // The default budget leaves stateful ParDos in memory.
    const inMemory = runJob();
    expect(inMemory.status).not.toBe(0);
    expect(inMemory.stderr).toMatch(/heap out of memory/);
  }, 240_000);

  it("waits for side inputs that end after the input, and emits to tagged outputs, as in memory", async () => {
    const build = (p: Pipeline) => {
      // The side input ends passes after the input: a splittable source checkpoints every 10,000 claims.
      const factor = asSingleton(
        p
          .apply("Factor", generateSequence({ from: 0, to: 50_000 }))
          .apply(map((i: number) => (i === 0 ? 5 : 0)))
          .apply(combineGlobally(sum())),
      );
      const { main, odd } = p.apply(create(Array.from({ length: 200 }, (_, i) => kv(`key-${i % 7}`, i)))).apply(
        "Stateful",
        statefulParDo<string, number, string, { n: StateSpec<ValueState<number>> }, Record<never, never>, { odd: string }>(
          {
            state: { n: StateSpecs.value<number>() },
            process(e, ctx) {
              ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
              if (e.value % 2 === 1) ctx.outputTo("odd", `${e.key} odd ${e.value * ctx.sideInput(factor)}`);
            },
            onWindowExpiration(ctx) {
              ctx.output(`${ctx.key} n=${ctx.state.n.read()} x${ctx.sideInput(factor)}`);
            },
          },
          { sideInputs: [factor], outputs: ["odd"] },
        ),
      );
      return flattenAll([main, odd]);
    };
    const inMemory = await run({}, build);
    const spilled = await run({ memoryBudget: "1KB", tempLocation: dir }, build);
    expect(spilled.lines).toEqual(inMemory.lines);
    expect(spilled.lines).toHaveLength(7 + 100);
    expect(spilled.lines).toContain("key-0 n=29 x5");
    expect(spilled.lines).toContain("key-1 odd 5");
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(0);
  });
});

describe("Combine under a memory budget (embedded runner)", () => {
  /** Mean with a plain-object accumulator (the JS value coder writes it to disk). */
  const mean: CombineFn<number, { sum: number; n: number }, string> = {
    createAccumulator: () => ({ sum: 0, n: 0 }),
    addInput: (a, x) => ({ sum: a.sum + x, n: a.n + 1 }),
    mergeAccumulators: (accs) => [...accs].reduce((a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }), { sum: 0, n: 0 }),
    extractOutput: (a) => `${a.n}/${a.sum}`,
  };
  const describeCombined = parDo<KV<string, string>, string>({
    process(e, ctx) {
      ctx.output(`${e.key} ${ctx.window.toString()} @${ctx.timestamp} ${ctx.pane.timing} ${ctx.pane.isFirst} ${ctx.pane.isLast} ${e.value}`);
    },
  });
  const build = (fn: CombineFn<number, unknown, string>) => (p: Pipeline) =>
    p
      .apply(create(elements))
      .apply(withTimestamps((e: KV<string, number>) => e.value * 10))
      .apply(windowInto<KV<string, number>, IntervalWindow>(fixedWindows(60_000)))
      .apply(combinePerKey(fn))
      .apply(describeCombined);

  it("writes accumulators to disk when its table outgrows its share, and gives the in-memory panes", async () => {
    const inMemory = await run({}, build(mean as CombineFn<number, unknown, string>));
    const spilled = await run({ memoryBudget: "16KB", tempLocation: dir }, build(mean as CombineFn<number, unknown, string>));
    const roomy = await run({ memoryBudget: "1GB", tempLocation: dir }, build(mean as CombineFn<number, unknown, string>));
    expect(spillRuns(inMemory.metrics)).toBe(0);
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    expect(spillRuns(roomy.metrics)).toBe(0);
    // Every key in each of its windows once (4,985 of 997 keys × 5 windows), ON_TIME and only.
    expect(spilled.lines).toHaveLength(4985);
    expect(spilled.lines).toEqual(inMemory.lines);
    expect(roomy.lines).toEqual(inMemory.lines);
    expect(readdirSync(dir)).toEqual([]);
  });

  class Tally {
    constructor(
      public n = 0,
      public sum = 0,
    ) {}
  }
  const tally: CombineFn<number, Tally, string> = {
    createAccumulator: () => new Tally(),
    addInput: (a, x) => new Tally(a.n + 1, a.sum + x),
    mergeAccumulators: (accs) => [...accs].reduce((a, b) => new Tally(a.n + b.n, a.sum + b.sum), new Tally()),
    extractOutput: (a) => `${a.n}/${a.sum}`,
  };

  it("fails naming the Combine and the fix when its accumulators cannot be encoded", async () => {
    const failed = run({ memoryBudget: "16KB", tempLocation: dir }, build(tally as CombineFn<number, unknown, string>));
    await expect(failed).rejects.toThrow(/Combine ".*Combine.*" writes its accumulators to local disk under --memoryBudget.*Give the CombineFn an accumulatorCoder/s);
  });

  it("writes accumulators with the CombineFn's accumulatorCoder", async () => {
    const tallyCoder = kvCoder(varIntCoder, doubleCoder);
    const withCoder: CombineFn<number, Tally, string> = {
      ...tally,
      accumulatorCoder: {
        ...tallyCoder,
        encode: (t: Tally, w: ByteWriter, nested: boolean) => tallyCoder.encode(kv(t.n, t.sum), w, nested),
        decode: (r: ByteReader, nested: boolean) => {
          const { key, value } = tallyCoder.decode(r, nested);
          return new Tally(key, value);
        },
      } as never,
    };
    const spilled = await run({ memoryBudget: "16KB", tempLocation: dir }, build(withCoder as CombineFn<number, unknown, string>));
    const inMemory = await run({}, build(mean as CombineFn<number, unknown, string>));
    expect(spillRuns(spilled.metrics)).toBeGreaterThan(3);
    expect(spilled.lines).toEqual(inMemory.lines);
  });
});

describe("SortedSpill", () => {
  it("groups like an in-memory map, values in insertion order, whatever the limit", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer()), { maxLength: 400 }), fc.integer({ min: 1, max: 100_000 }), (records, limit) => {
        const expected = new Map<string, number[]>();
        for (const [k, v] of records) expected.set(`k${k}`, [...(expected.get(`k${k}`) ?? []), v]);
        let runs = 0;
        const spill = new SortedSpill(dir, limit, { spilled: () => void runs++ });
        for (const [k, v] of records) spill.add(bytes(`k${k}`), bytes(String(v)));
        const actual = new Map<string, number[]>();
        const decoder = new TextDecoder();
        for (const g of spill.groups()) actual.set(decoder.decode(g.group), g.values.map((v) => Number(decoder.decode(v))));
        expect(actual).toEqual(expected);
        expect(readdirSync(dir)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps values larger than its slabs and its read chunks whole, next to small ones", () => {
    const big = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    const spill = new SortedSpill(dir, 64 * 1024, { spilled: () => {} });
    const added: [number, Uint8Array][] = [];
    for (let i = 0; i < 40; i++) {
      // Every tenth value is 1.5 or 3 MiB: larger than a slab (4 KiB here) and than a 1 MiB read chunk.
      const value = i % 10 === 3 ? big(i % 20 === 3 ? 3 << 20 : 3 << 19, i) : big(i * 7, i);
      added.push([i % 3, value]);
      spill.add(Uint8Array.of(i % 3), value);
    }
    const groups = [...spill.groups()];
    expect(groups.map((g) => g.group[0])).toEqual([0, 1, 2]);
    for (const g of groups) {
      const expected = added.filter(([k]) => k === g.group[0]).map(([, v]) => v);
      expect(g.values.map((v) => [v.length, v[0], v[v.length - 1]])).toEqual(expected.map((v) => [v.length, v[0], v[v.length - 1]]));
    }
  });

  it("groups values appended after startGroup from a reused scratch array, across runs written in between", () => {
    const decoder = new TextDecoder();
    let runs = 0;
    const spill = new SortedSpill(dir, 16 * 1024, { spilled: () => void runs++ });
    const scratch = new Uint8Array(8);
    const expected = new Map<string, string[]>();
    for (let i = 0; i < 2000; i++) {
      const key = `g${(i * 7919) % 37}`;
      const n = new TextEncoder().encodeInto(key, scratch).written;
      spill.startGroup(scratch.subarray(0, n));
      for (const v of [`${i}a`, `${i}b`]) spill.append(new TextEncoder().encode(v));
      spill.settle();
      expected.set(key, [...(expected.get(key) ?? []), `${i}a`, `${i}b`]);
    }
    const actual = new Map<string, string[]>();
    for (const g of spill.groups()) actual.set(decoder.decode(g.group), g.values.map((v) => decoder.decode(v)));
    expect(runs).toBeGreaterThan(3);
    expect([...actual.keys()]).toEqual([...expected.keys()].sort());
    expect(actual).toEqual(expected);
  });

  it("merges more runs than it opens at once", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    let runs = 0;
    // Every record spills: 300 runs, merged 64 at a time before the final merge.
    const spill = new SortedSpill(dir, 1, { spilled: () => void runs++ });
    for (let i = 0; i < 300; i++) spill.add(bytes(`k${i % 7}`), bytes(String(i)));
    const groups = [...spill.groups()].map((g) => [new TextDecoder().decode(g.group), g.values.length]);
    expect(runs).toBe(300);
    expect(groups).toEqual(Array.from({ length: 7 }, (_, k) => [`k${k}`, k < 300 % 7 ? 43 : 42]));
  });
});
