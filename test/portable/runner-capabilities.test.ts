import { describe, expect, it } from "vitest";
import {
  IntervalWindow,
  Pipeline,
  StateSpecs,
  UnsupportedFeatureError,
  create,
  fixedWindows,
  groupByKey,
  groupByKeyWithLateData,
  kv,
  reshuffle,
  statefulParDo,
  testStream,
  windowInto,
  type KV,
  type WindowFn,
} from "../../src/index.js";

// Nothing listens here: a refused pipeline must fail before any job service is contacted.
const NOWHERE = "127.0.0.1:1";

/** A user-defined merging WindowFn (every window of a key merges into one). */
const mergeAll: WindowFn<IntervalWindow> = {
  urn: "beam-ts:test:merge_all:v1",
  isMerging: true,
  assignWindows: ({ timestamp }) => [new IntervalWindow(timestamp, timestamp + 1)],
  mergeWindows: (ws) => (ws.length < 2 ? [] : [{ from: ws, result: new IntervalWindow(Math.min(...ws.map((w) => w.start)), Math.max(...ws.map((w) => w.end))) }]),
  toString: () => "MergeAll",
};

function refusal(options: Readonly<Record<string, unknown>>, build: (p: Pipeline) => void): UnsupportedFeatureError {
  const p = new Pipeline({ jobEndpoint: NOWHERE, ...options });
  build(p);
  try {
    p.run();
  } catch (err) {
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    return err as UnsupportedFeatureError;
  }
  throw new Error("expected the runner to refuse the pipeline");
}

const lateGrouping = (p: Pipeline) => p.apply(create([kv("a", 1)])).apply("Late", groupByKeyWithLateData<string, number>());
const processingTimeScript = (p: Pipeline) => p.apply("Script", testStream<number>("1@1 | pt +5s | 2@2"));
const customMerging = (p: Pipeline) =>
  p.apply(create([kv("a", 1)])).apply("Merge", windowInto<KV<string, number>, IntervalWindow>(mergeAll)).apply(groupByKey<string, number>());
/** Ten-second windows whose output times are at least 6 s into the window. */
const shiftedFixed: WindowFn<IntervalWindow> = {
  ...fixedWindows(10_000),
  urn: "beam-ts:test:shifted_fixed:v1",
  getTransformedOutputTime: (w, t) => Math.max(t, w.start + 6_000),
  toString: () => "ShiftedFixed",
};
const earliestTransformed = (fn: WindowFn<IntervalWindow>) => (p: Pipeline) =>
  p
    .apply(create([kv("a", 1)]))
    .apply("Window", windowInto<KV<string, number>, IntervalWindow>(fn, { timestampCombiner: "EARLIEST_TRANSFORMED" }))
    .apply(groupByKey<string, number>());
const mapState = (p: Pipeline) =>
  p.apply(create([kv("a", 1)])).apply(
    "Remember",
    statefulParDo({
      state: { seen: StateSpecs.map<string, number>() },
      process(e: KV<string, number>, ctx) {
        ctx.state.seen.put(e.key, e.value);
      },
    }),
  );

describe("portable runners refuse what they cannot run, before submission", () => {
  it("refuses groupByKeyWithLateData on every portable runner, naming the transform", () => {
    for (const runner of ["prism", "flink", "spark", "portable"]) {
      const err = refusal({ runner }, lateGrouping);
      expect(err.feature).toBe("late data output");
      expect(err.message).toContain("Late:");
      expect(err.message).toContain("embedded runner");
    }
  });

  it("refuses a TestStream that advances processing time on Flink only", () => {
    const err = refusal({ runner: "flink" }, processingTimeScript);
    expect(err.message).toMatch(/^Script.*: Flink's TestStream cannot advance processing time/);
    const p = new Pipeline({ runner: "prism", jobEndpoint: NOWHERE });
    processingTimeScript(p);
    // Prism takes it: the run is submitted (and fails later, for want of a job service).
    const result = p.run();
    return expect(result.waitUntilFinish()).rejects.not.toBeInstanceOf(UnsupportedFeatureError);
  });

  it("refuses a user-defined WindowFn on Flink and a user-defined merging WindowFn on Prism", () => {
    expect(refusal({ runner: "flink" }, customMerging).message).toContain("MergeAll, a user-defined WindowFn; Flink runs only Beam's standard WindowFns");
    expect(refusal({ runner: "prism" }, customMerging).message).toContain("Prism merges only Beam's session windows");
  });

  it("accepts the identity WindowFn inside a Reshuffle on Flink (runners run Reshuffle natively)", () => {
    const p = new Pipeline({ runner: "flink", jobEndpoint: NOWHERE });
    p.apply(create([kv("a", 1)])).apply(reshuffle());
    const result = p.run();
    return expect(result.waitUntilFinish()).rejects.not.toBeInstanceOf(UnsupportedFeatureError);
  });

  it("refuses EARLIEST_TRANSFORMED from a WindowFn that shifts output times on every portable runner, naming the transform", () => {
    for (const runner of ["prism", "flink", "spark", "portable"]) {
      const err = refusal({ runner }, earliestTransformed(shiftedFixed));
      expect(err.feature).toBe("EARLIEST_TRANSFORMED timestamp combiner");
      expect(err.message).toMatch(/^Window: its output is windowed by ShiftedFixed, whose getTransformedOutputTime shifts output times/);
      expect(err.message).toContain('Use timestampCombiner "EARLIEST", or run on the embedded runner.');
    }
  });

  it("accepts EARLIEST_TRANSFORMED from a WindowFn that transforms nothing (it goes as EARLIEST)", () => {
    const p = new Pipeline({ runner: "prism", jobEndpoint: NOWHERE });
    earliestTransformed(fixedWindows(10_000))(p);
    const result = p.run();
    return expect(result.waitUntilFinish()).rejects.not.toBeInstanceOf(UnsupportedFeatureError);
  });

  it("refuses map, set and ordered-list state on Flink, naming the state", () => {
    const err = refusal({ runner: "flink" }, mapState);
    expect(err.feature).toBe("map state");
    expect(err.message).toContain('Remember: state "seen" is map state');
  });
});
