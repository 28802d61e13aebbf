import { describe, expect, inject, it } from "vitest";
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
  map,
  read,
  reshuffle,
  asSingleton,
  statefulParDo,
  testStream,
  windowInto,
  type KV,
  type Source,
  type WindowFn,
} from "../../src/index.js";
import { checkPortableJobService, runnerFromDescribedOptions } from "../../src/runners/portable/job-service-capabilities.js";

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

/** An unbounded source that counts from 0 (never read here: refused pipelines are not run). */
const counting: Source<number, number> = {
  isBounded: false,
  createReader(mark = 0) {
    let next = mark;
    return { read: (max: number) => ({ elements: Array.from({ length: max }, () => ({ value: next, timestamp: next++ })), watermark: next - 1 }) };
  },
} as unknown as Source<number, number>;
const unboundedCount = (p: Pipeline) => p.apply("Count", read(counting));
const plainScript = (p: Pipeline) => p.apply("Script", testStream<number>("1@1 | 2@2"));
const countPerKey = (p: Pipeline) =>
  p.apply(create([kv("a", 1)])).apply(
    "Tally",
    statefulParDo({
      state: { n: StateSpecs.value<number>() },
      process(e: KV<string, number>, ctx) {
        ctx.state.n.write((ctx.state.n.read() ?? 0) + e.value);
      },
    }),
  );
const withSideInput = (p: Pipeline) => {
  const side = asSingleton(p.apply("Side", create([2])));
  p.apply(create([1])).apply("Scale", map((x: number, ctx) => x * ctx.sideInput(side), { sideInputs: [side] }));
};

/** Submitted: the run gets past the checks and fails later, for want of a job service. */
function accepted(options: Readonly<Record<string, unknown>>, build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ jobEndpoint: NOWHERE, ...options });
  build(p);
  return expect(p.run().waitUntilFinish()).rejects.not.toBeInstanceOf(UnsupportedFeatureError);
}

describe("Spark refuses what Beam's portable Spark runner cannot run, before submission", () => {
  it("refuses a TestStream in batch and streaming mode, naming the transform and the URN Spark lacks", () => {
    for (const streaming of [false, true]) {
      const err = refusal({ runner: "spark", streaming }, plainScript);
      expect(err.feature).toBe("TestStream (beam:transform:teststream:v1)");
      expect(err.message).toMatch(/^Script.*: Spark's portable runner does not know beam:transform:teststream:v1/);
      expect(err.message).toContain("embedded runner, Prism or Flink");
    }
  });

  it("refuses a stateful DoFn in streaming mode and names the state problem", () => {
    const err = refusal({ runner: "spark", streaming: "true" }, countPerKey);
    expect(err.feature).toBe("stateful DoFn in streaming mode");
    expect(err.message).toMatch(/^Tally.*: Spark's portable streaming mode gives stateful DoFns wrong results/);
  });

  it("accepts the same stateful DoFn in batch mode", () => accepted({ runner: "spark" }, countPerKey));

  it("refuses side inputs in streaming mode with the runner's own reason", () => {
    const err = refusal({ runner: "spark", streaming: true }, withSideInput);
    expect(err.feature).toBe("side inputs in streaming mode");
    expect(err.message).toMatch(/^Scale.*: .*Side inputs to executable stage are currently unsupported/);
  });

  it("accepts side inputs in batch mode", () => accepted({ runner: "spark" }, withSideInput));

  it("refuses an unbounded PCollection without --streaming, since the Spark Streaming job would never finish", () => {
    const err = refusal({ runner: "spark" }, unboundedCount);
    expect(err.feature).toBe("unbounded PCollection in batch mode");
    expect(err.message).toMatch(/^Count.*: its output is unbounded; .*never finishes by itself/);
    expect(err.message).toContain("Pass --streaming");
  });

  it("accepts an unbounded PCollection with --streaming", () => accepted({ runner: "spark", streaming: true }, unboundedCount));

  it("leaves TestStreams, streaming state and side inputs to the other runners", async () => {
    await accepted({ runner: "flink", streaming: true }, countPerKey);
    await accepted({ runner: "prism" }, plainScript);
    await accepted({ runner: "portable", streaming: true }, withSideInput);
  });
});

describe("--runner=portable checks for the runner the job service describes", () => {
  it("recognises Flink's and Spark's job servers by the options they register, and nothing else", () => {
    expect(runnerFromDescribedOptions(["runner", "flink_master", "parallelism"])).toBe("flink");
    expect(runnerFromDescribedOptions(["sparkMasterUrl"])).toBe("spark");
    expect(runnerFromDescribedOptions([])).toBeUndefined();
    expect(runnerFromDescribedOptions(["streaming", "job_name"])).toBeUndefined();
  });

  const prism = inject("prismEndpoint");
  it.skipIf(prism === "")("makes only the universal checks, with a warning, against a real Prism, which describes no runner (needs prism)", async () => {
    const warnings: string[] = [];
    const p = new Pipeline();
    countPerKey(p);
    await expect(checkPortableJobService(prism, p.graph(), { streaming: true }, (m) => void warnings.push(m))).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`the job service at ${prism} does not say which runner it is (its DescribePipelineOptions names no runner)`);
    expect(warnings[0]).toContain("runner-specific ones (Flink's, Spark's) were skipped");
  });

  it("warns when the job service has no DescribePipelineOptions at all (nothing listens)", async () => {
    const warnings: string[] = [];
    const p = new Pipeline();
    countPerKey(p);
    await expect(checkPortableJobService(NOWHERE, p.graph(), {}, (m) => void warnings.push(m))).resolves.toBeUndefined();
    expect(warnings[0]).toContain("(no DescribePipelineOptions)");
  });
});
