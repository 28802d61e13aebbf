import type { Duration, Instant } from "../../model/index.js";
import { ConstructionError, MIN_TIMESTAMP, fixedWindows } from "../../model/index.js";
import { defaultName, ptransform, type PBegin, type PCollection, type PTransform } from "../../pipeline/index.js";
import { doubleCoder } from "../../coders/index.js";
import { windowInto } from "../window-into.js";
import { impulse } from "../impulse.js";
import {
  OffsetRange,
  ProcessContinuation,
  UNBOUNDED_OFFSET,
  splittableParDo,
  type OffsetRangeTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../sdf/index.js";
import { PacedWatermarkEstimator, offsetTracker, type PacedState } from "./clocked-range.js";

/** Options of periodicImpulse. */
export interface PeriodicImpulseOptions {
  /** The first instant (default: the processing time when the job starts). */
  readonly start?: Instant;
  /** The last instant, inclusive (default: never stop). */
  readonly stop?: Instant;
  /** Time between two impulses. */
  readonly interval: Duration;
  /** Put each impulse in a fixed window of `interval` (Beam's applyWindowing). */
  readonly applyWindowing?: boolean;
}

/**
 * Beam's PeriodicImpulse as a splittable DoFn over impulse indices k (instant
 * `start + k * interval`): emits each instant once processing time reaches it, sets the
 * watermark to the next instant, and resumes itself until then. The start time (given, or
 * the processing time of the first call) lives in the watermark estimator's state.
 */
class PeriodicImpulseFn implements SplittableDoFn<Uint8Array, Instant, OffsetRange> {
  constructor(readonly options: PeriodicImpulseOptions) {}

  getInitialRestriction(): OffsetRange {
    const { start, stop, interval } = this.options;
    if (stop === undefined || start === undefined) return new OffsetRange(0, UNBOUNDED_OFFSET);
    return new OffsetRange(0, Math.floor((stop - start) / interval) + 1);
  }
  newTracker(_impulse: Uint8Array, r: OffsetRange): OffsetRangeTracker {
    return offsetTracker(r);
  }
  getInitialWatermarkState(): PacedState {
    return { watermark: MIN_TIMESTAMP, startedAt: this.options.start };
  }
  newWatermarkEstimator(state: unknown): PacedWatermarkEstimator {
    return new PacedWatermarkEstimator(state as PacedState);
  }

  process(_impulse: Uint8Array, ctx: SplittableProcessContext<Instant, OffsetRange, number>): ProcessContinuation {
    const { interval, stop = Infinity } = this.options;
    const estimator = ctx.watermarkEstimator as PacedWatermarkEstimator;
    const now = ctx.processingTime;
    const start = estimator.start(now);
    let k = ctx.tracker.currentRestriction().from;
    for (; start + k * interval <= now; k++) {
      const at = start + k * interval;
      if (at > stop) break;
      if (!ctx.tracker.tryClaim(k)) {
        // Checkpointed by the runner: the rest is a residual.
        estimator.setWatermark(at);
        return ProcessContinuation.stop();
      }
      ctx.outputWithTimestamp(at, at);
    }
    const next = start + k * interval;
    // Every impulse still to come is at or after `next`.
    estimator.setWatermark(next);
    if (next > stop) {
      // Claim past the end so the tracker knows the range is done.
      ctx.tracker.tryClaim(ctx.tracker.currentRestriction().to);
      return ProcessContinuation.stop();
    }
    return ProcessContinuation.resume(next - now);
  }

  toString(): string {
    const { start, stop, interval } = this.options;
    return `PeriodicImpulse(${start ?? "now"}..${stop ?? "inf"} every ${interval}ms)`;
  }
}

/**
 * Beam's PeriodicImpulse: emits the instant `start + k * interval` (as both element and
 * timestamp) when processing time reaches it, until `stop`. With a controlled clock
 * (TestStream) it follows the test's processing time. The usual base of the
 * slowly-changing side input pattern.
 *
 * @example p.apply(periodicImpulse({ interval: Durations.minutes(5) }))
 */
export function periodicImpulse(options: PeriodicImpulseOptions): PTransform<PBegin, PCollection<Instant>> {
  if (!(options.interval > 0)) throw new ConstructionError(`periodicImpulse needs interval > 0 ms; got ${options.interval}.`);
  if (options.start !== undefined && options.stop !== undefined && options.stop < options.start) {
    throw new ConstructionError(`periodicImpulse: stop (${options.stop}) is before start (${options.start}).`);
  }
  const fn = new PeriodicImpulseFn(options);
  return ptransform(defaultName("PeriodicImpulse", undefined), (input: PBegin) => {
    const impulses = input
      .apply("Impulse", impulse())
      .apply("Generate", splittableParDo(fn, { unbounded: true }))
      .withCoder(doubleCoder);
    return options.applyWindowing === true ? impulses.apply("Window", windowInto(fixedWindows(options.interval))) : impulses;
  });
}
