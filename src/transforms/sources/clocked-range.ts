import type { Instant } from "../../model/index.js";
import { GrowableOffsetRangeTracker, OffsetRangeTracker, UNBOUNDED_OFFSET, type OffsetRange, type WatermarkEstimator } from "../sdf/index.js";

/** The state of a PacedWatermarkEstimator: the watermark and when the source started. */
export interface PacedState {
  readonly watermark: Instant;
  readonly startedAt: Instant | undefined;
}

/**
 * The watermark estimator of the built-in generator sources: a manual watermark that never
 * goes back, plus the processing time at which the source started, which paces
 * rate-limited and periodic output. Both travel with every residual in the estimator's
 * state, so pacing survives checkpoints.
 */
export class PacedWatermarkEstimator implements WatermarkEstimator<PacedState> {
  private watermark: Instant;
  private startedAt: Instant | undefined;

  constructor(state: PacedState) {
    this.watermark = state.watermark;
    this.startedAt = state.startedAt;
  }

  /** The start time, fixed by the first call of the first piece. */
  start(now: Instant): Instant {
    return (this.startedAt ??= now);
  }

  setWatermark(watermark: Instant): void {
    if (watermark > this.watermark) this.watermark = watermark;
  }

  currentWatermark(): Instant {
    return this.watermark;
  }

  getState(): PacedState {
    return { watermark: this.watermark, startedAt: this.startedAt };
  }
}

/** An offset-range tracker, growable (unbounded) when the range ends at UNBOUNDED_OFFSET. */
export function offsetTracker(range: OffsetRange): OffsetRangeTracker {
  return range.to === UNBOUNDED_OFFSET ? new GrowableOffsetRangeTracker(range.from, () => UNBOUNDED_OFFSET) : new OffsetRangeTracker(range);
}
