import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferReader } from "../../../coders/index.js";
import { BeamError, GLOBAL_WINDOWING, MAX_TIMESTAMP, Triggers, fixedWindows, sessions, type WindowingStrategy } from "../../../model/index.js";
import { ReduceStageDriver, snapshotCodersOf, type DriverEvent, type GroupingCase } from "./reduce-stage-test-harness.js";

const fixed = (over: Partial<WindowingStrategy>): WindowingStrategy => ({ ...GLOBAL_WINDOWING, windowFn: fixedWindows(10), ...over });

const CASES: readonly GroupingCase[] = [
  { name: "GroupByKey/fixed/default", combine: false, windowing: fixed({}) },
  {
    name: "GroupByKey/fixed/early-late-accumulating",
    combine: false,
    windowing: fixed({
      trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(5), late: Triggers.afterCount(1) }),
      accumulationMode: "ACCUMULATING",
      allowedLateness: 20,
      timestampCombiner: "EARLIEST",
    }),
  },
  {
    name: "GroupByKey/sessions/early-count",
    combine: false,
    windowing: {
      ...GLOBAL_WINDOWING,
      windowFn: sessions(10),
      trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2), late: Triggers.afterCount(1) }),
      allowedLateness: 15,
    },
  },
  {
    name: "GroupByKey/sessions/early-processing-time-accumulating",
    combine: false,
    windowing: {
      ...GLOBAL_WINDOWING,
      windowFn: sessions(7),
      trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(4), late: Triggers.afterCount(2) }),
      accumulationMode: "ACCUMULATING",
      allowedLateness: 12,
      timestampCombiner: "EARLIEST",
    },
  },
  {
    name: "Combine.perKey(sum)/sessions/repeated-count",
    combine: true,
    windowing: {
      ...GLOBAL_WINDOWING,
      windowFn: sessions(5),
      trigger: Triggers.repeatedly(Triggers.afterCount(3)),
      allowedLateness: 8,
    },
  },
  {
    name: "Combine.perKey(sum)/fixed/early-processing-time",
    combine: true,
    windowing: fixed({
      trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(3) }),
      accumulationMode: "ACCUMULATING",
      allowedLateness: 10,
      timestampCombiner: "LATEST",
    }),
  },
];

const caseNamed = (name: string): GroupingCase => CASES.find((c) => c.name.startsWith(name))!;

/** Every stage and its windows end: the watermark passes every garbage-collection time. */
const FLUSH: readonly DriverEvent[] = [
  { kind: "clock", to: 1_000_000 },
  { kind: "watermark", to: MAX_TIMESTAMP },
];

const bundle = (...elements: [string, number, number][]): DriverEvent => ({
  kind: "bundle",
  elements: elements.map(([key, value, timestamp]) => ({ key, value, timestamp })),
});

/**
 * Runs `events` on one stage; snapshots it after `at` passes, restores a freshly built
 * stage from the bytes and runs the rest (and FLUSH) on both. Returns both tails.
 */
async function runSplit(c: GroupingCase, events: readonly DriverEvent[], at: number) {
  const original = new ReduceStageDriver(c);
  await original.run(events.slice(0, at));
  const bytes = original.snapshot();
  const restored = await ReduceStageDriver.restored(c, bytes, original.watermark, original.clock);
  const rest = [...events.slice(at), ...FLUSH];
  return { bytes, restored, original: await original.run(rest), copy: await restored.run(rest) };
}

describe("ReduceStage snapshot and restore", () => {
  it("a restored GroupByKey under the default trigger emits the on-time panes the original would", async () => {
    const c = caseNamed("GroupByKey/fixed/default");
    const events: DriverEvent[] = [bundle(["a", 1, 1], ["b", 2, 3], ["a", 3, 12]), { kind: "watermark", to: 5 }, bundle(["a", 4, 8])];
    const { original, copy } = await runSplit(c, events, 3);
    expect(copy).toEqual(original);
    // The buffered values of both windows came through the snapshot.
    expect(copy.flatMap((p) => p.panes)).toEqual(["a=[1,4] @9 [0:10] ON_TIME#0/0 first last", "a=[3] @19 [10:20] ON_TIME#0/0 first last", "b=[2] @9 [0:10] ON_TIME#0/0 first last"]);
  });

  it("keeps an early/late accumulating trigger's counters, processing-time deadline and holds across a restore", async () => {
    const c = caseNamed("GroupByKey/fixed/early-late");
    const events: DriverEvent[] = [
      bundle(["k", 1, 2]),
      { kind: "clock", to: 2 },
      bundle(["k", 2, 4]),
      { kind: "clock", to: 10 }, // early pane [1,2]
      bundle(["k", 3, 6]),
      { kind: "watermark", to: 12 }, // on-time pane [1,2,3]
      bundle(["k", 4, 5]), // late pane [1,2,3,4]
    ];
    for (let at = 0; at <= events.length; at++) {
      const { original, copy } = await runSplit(c, events, at);
      expect(copy, `snapshot after ${at} passes`).toEqual(original);
    }
    const { original } = await runSplit(c, events, 0);
    expect(original.flatMap((p) => p.panes)).toEqual(["k=[1,2] @2 [0:10] EARLY#0/-1 first", "k=[1,2,3] @6 [0:10] ON_TIME#1/0", "k=[1,2,3,4] @9 [0:10] LATE#2/1"]);
  });

  it("a processing-time deadline that passed while the job was down fires on the restored stage's first step", async () => {
    const c = caseNamed("GroupByKey/fixed/early-late");
    const original = new ReduceStageDriver(c);
    await original.run([bundle(["k", 1, 2])]);
    expect(original.stage.nextWakeup()).toBe(6);
    const restored = await ReduceStageDriver.restored(c, original.snapshot(), original.watermark, 100);
    expect(restored.stage.nextWakeup()).toBe(6);
    const first = await restored.pass({ kind: "clock", to: 100 });
    expect(first.panes).toEqual(["k=[1] @2 [0:10] EARLY#0/-1 first"]);
  });

  it("round-trips merged sessions: a restored stage merges later elements into the sessions it held", async () => {
    const c = caseNamed("GroupByKey/sessions");
    const events: DriverEvent[] = [
      bundle(["s", 1, 0], ["s", 2, 30]),
      bundle(["s", 3, 5]), // merges with [0,10) into [0,15): early count 2 fires
      { kind: "watermark", to: 3 },
      bundle(["s", 4, 12], ["s", 6, 21]), // bridge [0,15) and [30,40) into one session [0,40)
      bundle(["s", 5, 45]),
    ];
    for (let at = 0; at <= events.length; at++) {
      const { original, copy } = await runSplit(c, events, at);
      expect(copy, `snapshot after ${at} passes`).toEqual(original);
    }
    const { copy } = await runSplit(c, events, 2);
    // [0,15) fired its early pane [1,3] before the snapshot; the restored stage merged it
    // with [30,40) and the bridging elements into a new session.
    expect(copy.flatMap((p) => p.panes)).toEqual(["s=[4,6,2] @39 [0:40] EARLY#0/-1 first", "s=[5] @54 [45:55] ON_TIME#0/0 first last", "s=[] @39 [0:40] ON_TIME#1/0 last"]);
  });

  it("round-trips a lifted Combine's accumulators (sum)", async () => {
    const c = caseNamed("Combine.perKey(sum)/fixed");
    const events: DriverEvent[] = [bundle(["x", 5, 1], ["x", 7, 2], ["y", 1, 11]), { kind: "clock", to: 10 }, bundle(["x", 30, 3])];
    for (let at = 0; at <= events.length; at++) {
      const { original, copy } = await runSplit(c, events, at);
      expect(copy, `snapshot after ${at} passes`).toEqual(original);
    }
    const { copy } = await runSplit(c, events, 3);
    expect(copy.flatMap((p) => p.panes)).toEqual(["x=42 @3 [0:10] EARLY#1/-1", "x=42 @9 [0:10] ON_TIME#2/0 last", "y=1 @19 [10:20] ON_TIME#1/0 last"]);
  });

  it("keeps the panes that fired when a bundle committed but were not emitted yet", async () => {
    const c = caseNamed("GroupByKey/fixed/early-late");
    const original = new ReduceStageDriver(c);
    await original.run([bundle(["k", 1, 2]), { kind: "watermark", to: 12 }]);
    // A late element fires its pane as its bundle commits, before the stage's next step.
    original.commit({ kind: "bundle", elements: [{ key: "k", value: 2, timestamp: 3 }] });
    const restored = await ReduceStageDriver.restored(c, original.snapshot(), original.watermark, original.clock);
    const tick = { kind: "clock", to: 1 } as const;
    const [fromOriginal] = await original.run([tick]);
    const [fromCopy] = await restored.run([tick]);
    expect(fromCopy).toEqual(fromOriginal);
    expect(fromCopy!.panes).toEqual(["k=[1,2] @9 [0:10] LATE#1/1"]);
  });

  it("keeps the stage's output watermark monotone through a restore", async () => {
    const c = caseNamed("GroupByKey/fixed/default");
    const original = new ReduceStageDriver(c);
    const [r] = await original.run([{ kind: "watermark", to: 50 }]);
    // The executor restores its own watermarks; a stage asked with an older input
    // watermark must still report the output watermark it reached.
    const restored = await ReduceStageDriver.restored(c, original.snapshot(), original.watermark, original.clock);
    expect(restored.stage.outputWatermark(0)).toBe(r!.outputWatermark);
    expect(r!.outputWatermark).toBe(50);
  });

  it("for random inputs and a random snapshot point, the restored stage emits what the original does", async () => {
    const key = fc.constantFrom("a", "b", "c");
    const element = fc.tuple(key, fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 60 }));
    const event = fc.oneof(
      fc.array(element, { minLength: 1, maxLength: 4 }).map((es) => ({ kind: "bundle" as const, es })),
      fc.integer({ min: 0, max: 15 }).map((d) => ({ kind: "watermark" as const, d })),
      fc.integer({ min: 0, max: 6 }).map((d) => ({ kind: "clock" as const, d })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CASES), fc.array(event, { maxLength: 20 }), fc.nat(), async (c, raw, cut) => {
        let wm = 0;
        let clock = 0;
        const events: DriverEvent[] = raw.map((e) => {
          if (e.kind === "bundle") return bundle(...e.es);
          if (e.kind === "watermark") return { kind: "watermark", to: (wm += e.d) };
          return { kind: "clock", to: (clock += e.d) };
        });
        const at = cut % (events.length + 1);
        const { bytes, restored, original, copy } = await runSplit(c, events, at);
        expect(copy).toEqual(original);
        // The restored stage's own snapshot, taken at once, is the same bytes.
        const again = await ReduceStageDriver.restored(c, bytes, restored.watermark, restored.clock);
        expect(again.snapshot()).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });
});

describe("ReduceStage restore of a damaged snapshot", () => {
  const c = caseNamed("GroupByKey/fixed/early-late");
  const taken = async (): Promise<Uint8Array> => {
    const d = new ReduceStageDriver(c);
    await d.run([bundle(["a", 1, 1], ["b", 2, 13]), { kind: "clock", to: 2 }, { kind: "watermark", to: 11 }, bundle(["c", 3, 4])]);
    return d.snapshot();
  };

  it("fails, naming the stage, when the snapshot is cut short anywhere", async () => {
    const bytes = await taken();
    for (let n = 0; n < bytes.length; n++) {
      const fresh = new ReduceStageDriver(c);
      expect(() => fresh.stage.restore(new BufferReader(bytes.subarray(0, n)), snapshotCodersOf(c)), `prefix of ${n} bytes`).toThrow(/Cannot restore stage "GroupByKey\/fixed\/early-late/);
    }
  });

  it("fails on an unknown layout version, a broken end marker, and bytes that are not a snapshot", async () => {
    const bytes = await taken();
    const restore = (b: Uint8Array) => () => new ReduceStageDriver(c).stage.restore(new BufferReader(b), snapshotCodersOf(c));
    const version = bytes.slice();
    version[0] = 9;
    expect(restore(version)).toThrow(/layout version 9/);
    const end = bytes.slice();
    end[end.length - 1] ^= 0xff;
    expect(restore(end)).toThrow(/end marker/);
    const garbage = new Uint8Array(bytes.length).fill(0xfe);
    expect(restore(garbage)).toThrow(BeamError);
  });

  it("refuses a snapshot written for a different trigger", async () => {
    const bytes = await taken();
    const other = caseNamed("GroupByKey/fixed/default");
    const fresh = new ReduceStageDriver(other);
    expect(() => fresh.stage.restore(new BufferReader(bytes), snapshotCodersOf(other))).toThrow(/trigger state has \d+ (finished bits|values) where the trigger has/);
  });

  it("a stage built without its state coders refuses to snapshot instead of writing something it cannot read", () => {
    const d = new ReduceStageDriver(c, false);
    expect(() => d.snapshot()).toThrow(/cannot be checkpointed/);
  });
});

describe("ReduceStage copy-on-write snapshot (snapshotLater)", () => {
  // 600 keys: more than one slice of 256, so that keys change before and after their turn.
  const keys = Array.from({ length: 600 }, (_, i) => `k${String(i).padStart(3, "0")}`);
  for (const c of CASES) {
    it(`writes the state as it was when taken while bundles, timers and expiries change it (${c.name})`, async () => {
      const d = new ReduceStageDriver(c);
      await d.run([bundle(...keys.map((k, i): [string, number, number] => [k, i, i % 9])), { kind: "clock", to: 2 }, bundle(["k001", 5, 4], ["k599", 6, 7])]);
      const expected = d.snapshot();
      const pending = d.stage.snapshotLater(snapshotCodersOf(c));
      expect(pending.advance(-Infinity)).toBe(false);
      await d.run([
        bundle(["k000", 7, 8], ["k300", 8, 2], ["k301", 9, 9], ["new", 1, 1]),
        { kind: "clock", to: 50 },
        { kind: "watermark", to: 9 },
        bundle(["k500", 3, 12], ["k302", 4, 3]),
        { kind: "watermark", to: 60 },
      ]);
      expect(pending.finish()).toEqual(expected);
      // The next snapshot can start: the first one no longer watches the runner.
      expect(() => d.snapshot()).not.toThrow();
    });
  }
});
