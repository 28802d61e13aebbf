import { describe, expect, it } from "vitest";
import {
  GrowableOffsetRangeTracker,
  ManualWatermarkEstimator,
  MIN_TIMESTAMP,
  OffsetRange,
  OffsetRangeTracker,
  Pipeline,
  ProcessContinuation,
  UNBOUNDED_OFFSET,
  UnsupportedFeatureError,
  assertThat,
  combinePerKey,
  count,
  create,
  fixedWindows,
  kv,
  map,
  parDo,
  reifyPanes,
  splittableParDo,
  testStream,
  windowInto,
  type KV,
  type SplittableDoFn,
} from "../../../src/index.js";
import { NO_BUNDLE_RETRIES } from "../runners.js";
import {
  F_BATCH_FINALIZATION,
  F_BATCH_WINDOW_ORDER,
  F_RESUME_DELAY,
  F_STREAMING_FINALIZATION,
  SDF_RUNNERS,
  isFlink,
  isPortable,
  sdfIt,
} from "./sdf-runners.js";

for (const runner of SDF_RUNNERS) {
  describe(`splittable DoFn behaviour on ${runner.name}`, () => {
    sdfIt(runner, { flink: F_BATCH_WINDOW_ORDER })("holds the output watermark at its watermark estimator, so windows fire on time as it advances", async () => {
      const fired: string[] = [];
      // One event per call at 5 s steps; the estimator says nothing earlier follows.
      const ticks: SplittableDoFn<number, number, OffsetRange> = {
        getInitialRestriction: (n) => new OffsetRange(0, n),
        newTracker: (_n, r) => new OffsetRangeTracker(r),
        getInitialWatermarkState: () => MIN_TIMESTAMP,
        newWatermarkEstimator: (s) => new ManualWatermarkEstimator(s as number),
        process(_n, ctx) {
          const i = ctx.tracker.currentRestriction().from;
          if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
          ctx.outputWithTimestamp(i, i * 5_000);
          (ctx.watermarkEstimator as ManualWatermarkEstimator).setWatermark(i * 5_000);
          return ProcessContinuation.resume();
        },
      };
      const p = new Pipeline(runner.options);
      p.apply(create([6]))
        .apply(splittableParDo(ticks))
        .apply(windowInto(fixedWindows(10_000)))
        .apply(map((i: number) => kv("k", i)))
        .apply(combinePerKey(count()))
        .apply(reifyPanes())
        .apply(parDo<{ window: string }, never>({ process: (r) => void fired.push(r.window) }));
      await p.run().waitUntilFinish();
      // Windows fire in event-time order as the estimator passes them, not all at the end.
      expect(fired).toEqual(["0..10000", "10000..20000", "20000..30000"]);
    });

    sdfIt(runner, { flink: F_BATCH_FINALIZATION, "flink streaming": F_STREAMING_FINALIZATION })("runs bundle finalization callbacks once the bundle's output is committed", async () => {
      const log: string[] = [];
      const fn: SplittableDoFn<number, number, OffsetRange> = {
        getInitialRestriction: (n) => new OffsetRange(0, n),
        newTracker: (_n, r) => new OffsetRangeTracker(r),
        process(n, ctx) {
          ctx.bundleFinalizer.afterBundleCommit(Date.now() + 600_000, () => void log.push(`finalized ${n}`));
          for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) ctx.output(i);
        },
      };
      const p = new Pipeline(runner.options);
      assertThat(p.apply(create([3])).apply(splittableParDo(fn))).containsInAnyOrder([0, 1, 2]);
      await p.run().waitUntilFinish();
      expect(log).toEqual(["finalized 3"]);
    });

    // Prism and Flink fail the job on the first bundle failure (no bundle retries): pinned with it.fails.
    (NO_BUNDLE_RETRIES.has(runner.name) || isFlink(runner) ? it.fails : it)("runs no finalization callback for a failed attempt", async () => {
      const log: string[] = [];
      let attempts = 0;
      const fn: SplittableDoFn<number, number, OffsetRange> = {
        getInitialRestriction: (n) => new OffsetRange(0, n),
        newTracker: (_n, r) => new OffsetRangeTracker(r),
        process(_n, ctx) {
          attempts++;
          ctx.bundleFinalizer.afterBundleCommit(Date.now() + 600_000, () => void log.push(`finalized attempt ${attempts}`));
          for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) ctx.output(i);
          if (attempts === 1) throw new Error("transient");
        },
      };
      const p = new Pipeline(runner.options);
      const out = p.apply(create([3])).apply(splittableParDo(fn));
      assertThat(out).containsInAnyOrder([0, 1, 2]);
      await p.run().waitUntilFinish();
      expect(log).toEqual(["finalized attempt 2"]);
    });

    sdfIt(runner, { flink: F_RESUME_DELAY, "flink streaming": F_RESUME_DELAY })("resumes no sooner than the requested delay", async () => {
      const fn: SplittableDoFn<number, number, OffsetRange> = {
        getInitialRestriction: () => new OffsetRange(0, 3),
        newTracker: (_e, r) => new OffsetRangeTracker(r),
        process(_e, ctx) {
          const i = ctx.tracker.currentRestriction().from;
          if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
          ctx.output(ctx.processingTime);
          return ProcessContinuation.resume(100);
        },
      };
      const times: number[] = [];
      const p = new Pipeline(runner.options);
      p.apply(create([0]))
        .apply(splittableParDo(fn))
        .apply(parDo<number, never>({ process: (t) => void times.push(t) }));
      await p.run().waitUntilFinish();
      times.sort((a, b) => a - b);
      expect(times).toHaveLength(3);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(100);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(100);
    });

    // The Fn API gives an SDK no runner processing time: in the harness ctx.processingTime is
    // the worker's clock, not Prism's TestStream clock. Pinned with it.fails. Flink's TestStream
    // cannot advance processing time at all: refused before submission.
    (isFlink(runner) ? sdfIt(runner, {}, [runner.name]) : isPortable(runner) ? it.fails : it)("resumes after the requested delay of processing time (the TestStream clock)", async () => {
      const fn: SplittableDoFn<Uint8Array, string, OffsetRange> = {
        getInitialRestriction: () => new OffsetRange(0, 3),
        newTracker: (_e, r) => new OffsetRangeTracker(r),
        process(_e, ctx) {
          const i = ctx.tracker.currentRestriction().from;
          if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
          ctx.output(`${i}@${ctx.processingTime}`);
          return ProcessContinuation.resume(10_000);
        },
      };
      const p = new Pipeline(runner.options);
      p.apply("Clock", testStream("pt +5s | pt +5s | pt +5s | pt +5s | pt +5s"));
      const out = p.apply(create([new Uint8Array(0)])).apply(splittableParDo(fn));
      // The SDF first runs after the clock's first 5 s step, then every 10 s of test time.
      assertThat(out).containsInAnyOrder(["0@5000", "1@15000", "2@25000"]);
      await p.run().waitUntilFinish();
    });

    // Prism's and Beam's Flink and Spark job servers do not implement the Job API's Drain: a
    // portable drain() is refused (never turned into a cancel), and the job is cancelled here.
    it("on drain drops unbounded work, keeps bounded work, and honours truncateRestriction", async () => {
      const seen: string[] = [];
      const endless: SplittableDoFn<string, string, OffsetRange> = {
        getInitialRestriction: () => new OffsetRange(0, UNBOUNDED_OFFSET),
        newTracker: (_e, r) => new GrowableOffsetRangeTracker(r.from, () => UNBOUNDED_OFFSET),
        process(e, ctx) {
          const i = ctx.tracker.currentRestriction().from;
          if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
          if (i < 3) ctx.output(`${e}${i}`);
          return ProcessContinuation.resume(5);
        },
      };
      const p = new Pipeline(runner.options);
      p.apply(create(["x"]))
        .apply(splittableParDo(endless, { unbounded: true }))
        .apply(parDo<string, never>({ process: (s) => void seen.push(s) }));
      const result = p.run();
      await new Promise((r) => setTimeout(r, 100));
      if (isPortable(runner)) {
        await expect(result.drain()).rejects.toThrow(UnsupportedFeatureError);
        expect(await result.cancel()).toBe("CANCELLED");
        return;
      }
      expect(await result.drain()).toBe("DRAINED");
      expect(seen).toEqual(["x0", "x1", "x2"]);
    });
  });
}

describe("splittable DoFn construction", () => {
  it("gives an unbounded splittable DoFn an unbounded output", () => {
    const p = new Pipeline();
    const fn: SplittableDoFn<string, KV<string, number>, OffsetRange> = {
      getInitialRestriction: () => new OffsetRange(0, 1),
      newTracker: (_e, r) => new OffsetRangeTracker(r),
      process() {},
    };
    expect(p.apply(create(["a"])).apply(splittableParDo(fn, { unbounded: true })).isBounded).toBe(false);
    expect(p.apply("B", create(["a"])).apply(splittableParDo(fn)).isBounded).toBe(true);
  });
});
