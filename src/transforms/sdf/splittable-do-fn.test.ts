import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MIN_TIMESTAMP, type Instant } from "../../model/index.js";
import { GrowableOffsetRangeTracker, UNBOUNDED_OFFSET } from "./growable-offset-range-tracker.js";
import { OffsetRange } from "./offset-range.js";
import { OffsetRangeTracker } from "./offset-range-tracker.js";
import { ProcessContinuation } from "./process-continuation.js";
import {
  isSplittableDoFn,
  offsetRangeSize,
  splitOffsetRange,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "./splittable-do-fn.js";
import { MonotonicallyIncreasingWatermarkEstimator, type WatermarkEstimator } from "./watermark-estimators.js";

describe("isSplittableDoFn", () => {
  it("recognises an object with getInitialRestriction, newTracker and process", () => {
    const fn: SplittableDoFn<number, number, OffsetRange> = {
      getInitialRestriction: (n) => new OffsetRange(0, n),
      newTracker: (_n, r) => new OffsetRangeTracker(r),
      process() {},
    };
    expect(isSplittableDoFn(fn)).toBe(true);
  });

  it("rejects a plain DoFn and non-objects", () => {
    expect(isSplittableDoFn({ process() {} })).toBe(false);
    expect(isSplittableDoFn(undefined)).toBe(false);
    expect(isSplittableDoFn("process")).toBe(false);
  });
});

describe("splitOffsetRange", () => {
  it("cuts a range into the desired number of equal chunks", () => {
    expect(splitOffsetRange(new OffsetRange(0, 10), 3).map(String)).toEqual(["[0, 4)", "[4, 8)", "[8, 10)"]);
  });

  it("keeps the range whole for one chunk or fewer", () => {
    expect(splitOffsetRange(new OffsetRange(0, 10), 1).map(String)).toEqual(["[0, 10)"]);
    expect(splitOffsetRange(new OffsetRange(0, 10), 0).map(String)).toEqual(["[0, 10)"]);
  });

  it("gives nothing for an empty range", () => {
    expect(splitOffsetRange(new OffsetRange(3, 3), 4)).toEqual([]);
  });

  it("covers the range with at most desiredChunks consecutive pieces", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100, max: 100 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 50 }),
        (from, size, chunks) => {
          const pieces = splitOffsetRange(new OffsetRange(from, from + size), chunks);
          expect(pieces.length).toBeLessThanOrEqual(chunks);
          let cursor = from;
          for (const piece of pieces) {
            expect(piece.from).toBe(cursor);
            cursor = piece.to;
          }
          expect(cursor).toBe(from + size);
        },
      ),
    );
  });
});

describe("offsetRangeSize", () => {
  it("is the number of offsets, Beam's default size of an OffsetRange", () => {
    expect(offsetRangeSize(new OffsetRange(5, 12))).toBe(7);
  });
});

/** A log that grows between `process` calls; records carry increasing timestamps. */
interface Log {
  readonly records: { value: string; timestamp: Instant }[];
  closed: boolean;
}

/** Reads a growing log, checkpointing when it has caught up, as an unbounded source SDF does. */
const tailLog: SplittableDoFn<Log, string, OffsetRange> = {
  getInitialRestriction: () => new OffsetRange(0, UNBOUNDED_OFFSET),
  newTracker: (log, r) =>
    r.to === UNBOUNDED_OFFSET
      ? new GrowableOffsetRangeTracker(r.from, () => log.records.length)
      : new OffsetRangeTracker(r),
  getInitialWatermarkState: () => MIN_TIMESTAMP,
  newWatermarkEstimator: (state) => new MonotonicallyIncreasingWatermarkEstimator(state as Instant),
  truncateRestriction: () => undefined,
  process(log, ctx) {
    let i = ctx.tracker.currentRestriction().from;
    for (; i < log.records.length; i++) {
      if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
      const record = log.records[i]!;
      ctx.outputWithTimestamp(record.value, record.timestamp);
    }
    if (log.closed) {
      ctx.tracker.tryClaim(UNBOUNDED_OFFSET);
      return ProcessContinuation.stop();
    }
    return ProcessContinuation.resume(1_000);
  },
};

/**
 * The smallest runner loop for one element: process, checkpoint on resume, carry the
 * watermark state to the residual, let the world move on, repeat until stop.
 */
async function runUntilStopped(
  fn: SplittableDoFn<Log, string, OffsetRange>,
  log: Log,
  between: (round: number) => void,
): Promise<{ outputs: string[]; watermarks: Instant[]; delays: number[] }> {
  const outputs: string[] = [];
  const watermarks: Instant[] = [];
  const delays: number[] = [];
  let restriction: OffsetRange | undefined = fn.getInitialRestriction(log);
  let state = fn.getInitialWatermarkState?.(log, restriction);
  for (let round = 0; restriction !== undefined; round++) {
    const tracker = fn.newTracker(log, restriction);
    const estimator = fn.newWatermarkEstimator?.(state) as WatermarkEstimator<unknown> &
      MonotonicallyIncreasingWatermarkEstimator;
    const ctx = {
      tracker,
      watermarkEstimator: estimator,
      outputWithTimestamp(value: string, timestamp: Instant) {
        outputs.push(value);
        estimator.observeTimestamp(timestamp);
      },
    } as unknown as SplittableProcessContext<string, OffsetRange, number>;
    const continuation = (await fn.process(log, ctx)) ?? ProcessContinuation.stop();
    restriction = undefined;
    if (continuation.kind === "resume") {
      delays.push(continuation.delay);
      restriction = tracker.trySplit(0)?.residual;
    }
    tracker.checkDone();
    watermarks.push(estimator.currentWatermark());
    state = estimator.getState();
    between(round);
  }
  return { outputs, watermarks, delays };
}

describe("a splittable DoFn tailing a growing log", () => {
  it("reads every record once across checkpoints, advancing its watermark, until the log closes", async () => {
    const log: Log = { records: [], closed: false };
    const append = (n: number): void => {
      for (let k = 0; k < n; k++) {
        const i = log.records.length;
        log.records.push({ value: `r${i}`, timestamp: 100 * (i + 1) });
      }
    };
    append(3);
    const result = await runUntilStopped(tailLog, log, (round) => {
      if (round < 3) append(round + 1);
      else log.closed = true;
    });
    expect(result.outputs).toEqual(log.records.map((r) => r.value));
    expect(result.delays).toEqual([1_000, 1_000, 1_000, 1_000]);
    expect(result.watermarks).toEqual([300, 400, 600, 900, 900]);
  });

  it("drops the restriction on drain, as its truncateRestriction says", () => {
    const log: Log = { records: [], closed: false };
    expect(tailLog.truncateRestriction?.(log, new OffsetRange(3, UNBOUNDED_OFFSET))).toBeUndefined();
  });
});
