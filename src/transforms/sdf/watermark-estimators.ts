import { formatInstant, MAX_TIMESTAMP, MIN_TIMESTAMP, type Instant } from "../../model/index.js";
import { SplittableDoFnError } from "./errors.js";

/**
 * Beam's WatermarkEstimator: reports the output watermark of one splittable `process` call
 * (a lower bound on the timestamps it will still output), and a `state` the runner stores
 * with the residual at a checkpoint and hands back to `newWatermarkEstimator` on resume.
 * The runner reads `currentWatermark()` then `getState()`, after the call or at a split.
 */
export interface WatermarkEstimator<S> {
  currentWatermark(): Instant;
  getState(): S;
}

/**
 * A WatermarkEstimator that wants to see the timestamp of every output of the `process`
 * call (Beam's `TimestampObservingWatermarkEstimator`); the runner calls `observeTimestamp`.
 */
export interface TimestampObservingWatermarkEstimator<S> extends WatermarkEstimator<S> {
  observeTimestamp(timestamp: Instant): void;
}

/** Whether the runner must report output timestamps to `estimator`. */
export function observesTimestamps<S>(
  estimator: WatermarkEstimator<S>,
): estimator is TimestampObservingWatermarkEstimator<S> {
  return typeof (estimator as Partial<TimestampObservingWatermarkEstimator<S>>).observeTimestamp === "function";
}

/**
 * Beam's `WatermarkEstimators.Manual`: the DoFn sets the watermark itself, e.g. from a
 * source's own watermark. Like Beam's Java SDK it never goes backwards: setting an earlier
 * watermark is accepted but ignored (the Python SDK raises instead). The state is the
 * watermark last reported by `currentWatermark()`.
 *
 * @example
 * const estimator = new ManualWatermarkEstimator(MIN_TIMESTAMP);
 * estimator.setWatermark(partition.watermark());
 */
export class ManualWatermarkEstimator implements WatermarkEstimator<Instant> {
  private watermark: Instant;
  private lastReportedWatermark: Instant | undefined = undefined;

  constructor(watermark: Instant) {
    validateWatermarkWithinBounds(watermark);
    this.watermark = watermark;
  }

  /** Reports a watermark; it takes effect at the next `currentWatermark()` if it is later. */
  setWatermark(watermark: Instant): void {
    validateWatermarkWithinBounds(watermark);
    this.lastReportedWatermark = watermark;
  }

  currentWatermark(): Instant {
    if (this.lastReportedWatermark !== undefined && this.lastReportedWatermark > this.watermark) {
      this.watermark = this.lastReportedWatermark;
    }
    return this.watermark;
  }

  getState(): Instant {
    return this.watermark;
  }
}

/**
 * Beam's `WatermarkEstimators.MonotonicallyIncreasing`: the watermark follows the
 * timestamps of the outputs, which are expected to increase. As in Beam it moves to the
 * last observed timestamp whenever that is later than the watermark reported so far, and
 * never goes backwards.
 *
 * @example
 * const estimator = new MonotonicallyIncreasingWatermarkEstimator(MIN_TIMESTAMP);
 * estimator.observeTimestamp(record.timestamp); // done by the runner on each output
 */
export class MonotonicallyIncreasingWatermarkEstimator implements TimestampObservingWatermarkEstimator<Instant> {
  private watermark: Instant;
  private lastObservedTimestamp: Instant | undefined = undefined;

  constructor(watermark: Instant) {
    validateWatermarkWithinBounds(watermark);
    this.watermark = watermark;
  }

  observeTimestamp(timestamp: Instant): void {
    this.lastObservedTimestamp = timestamp;
  }

  currentWatermark(): Instant {
    if (this.lastObservedTimestamp !== undefined && this.lastObservedTimestamp > this.watermark) {
      this.watermark = this.lastObservedTimestamp;
    }
    return this.watermark;
  }

  getState(): Instant {
    return this.watermark;
  }
}

/**
 * Beam's `WatermarkEstimators.WallTime`: the watermark is the processing time, never going
 * backwards (`max(now(), previous)`). It assumes the workers' clocks agree; a clock far
 * ahead makes records late. `now` is injectable so tests can drive a fake clock.
 *
 * @example
 * const estimator = new WallTimeWatermarkEstimator(MIN_TIMESTAMP, () => Date.now());
 */
export class WallTimeWatermarkEstimator implements WatermarkEstimator<Instant> {
  private watermark: Instant;

  constructor(
    watermark: Instant,
    private readonly now: () => Instant = Date.now,
  ) {
    validateWatermarkWithinBounds(watermark);
    this.watermark = watermark;
  }

  currentWatermark(): Instant {
    const now = this.now();
    if (now > this.watermark) this.watermark = now;
    return this.watermark;
  }

  getState(): Instant {
    return this.watermark;
  }
}

/** Beam's `BoundedWindow.validateWatermarkWithinBounds`. */
export function validateWatermarkWithinBounds(watermark: Instant): void {
  if (!(watermark >= MIN_TIMESTAMP && watermark <= MAX_TIMESTAMP)) {
    throw new SplittableDoFnError(
      `Provided watermark ${String(watermark)} must be within bounds ` +
        `[${MIN_TIMESTAMP} (${formatInstant(MIN_TIMESTAMP)}), ${MAX_TIMESTAMP} (${formatInstant(MAX_TIMESTAMP)})].`,
    );
  }
}

