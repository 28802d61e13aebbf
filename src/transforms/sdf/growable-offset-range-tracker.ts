import { SplittableDoFnError } from "./errors.js";
import { OffsetRange } from "./offset-range.js";
import { OffsetRangeTracker } from "./offset-range-tracker.js";
import { restrictionProgress, type Progress, type SplitResult } from "./restriction-tracker.js";
import { requireFractionOfRemainder, splitPosition } from "./split-position.js";

/** The end offset standing for "infinity" in a growable range (Java's `Long.MAX_VALUE`). */
export const UNBOUNDED_OFFSET = Number.MAX_SAFE_INTEGER;

/**
 * Estimates the (exclusive) end of a growable range, e.g. a Kafka partition's end offset or
 * an appended file's size. Called on each `trySplit` and `getProgress`. The estimate need
 * not grow monotonically: it only counts where it lies past the current position.
 * Return `UNBOUNDED_OFFSET` to mean "no end", `Number.MIN_SAFE_INTEGER` (Java's
 * `Long.MIN_VALUE`) when no estimate is available. Memoize it if it is expensive.
 */
export interface RangeEndEstimator {
  estimate(): number;
}

/**
 * Beam's GrowableOffsetRangeTracker: an OffsetRangeTracker over `[start, UNBOUNDED_OFFSET)`,
 * for sources whose end moves while they are read. Splits and progress use the
 * RangeEndEstimator while the range is still open-ended; once a split has given it a finite
 * end it behaves exactly as an OffsetRangeTracker. `process` marks the open-ended range
 * done by claiming `UNBOUNDED_OFFSET` (which fails, like every claim at the end).
 *
 * @example
 * const t = new GrowableOffsetRangeTracker(0, { estimate: () => topic.endOffset() });
 * t.tryClaim(0);
 * t.trySplit(0); // checkpoint: { primary: [0, 1), residual: [1, UNBOUNDED_OFFSET) }
 */
export class GrowableOffsetRangeTracker extends OffsetRangeTracker {
  private readonly rangeEndEstimator: RangeEndEstimator;

  constructor(start: number, rangeEndEstimator: RangeEndEstimator | (() => number)) {
    super(new OffsetRange(start, UNBOUNDED_OFFSET));
    this.rangeEndEstimator =
      typeof rangeEndEstimator === "function" ? { estimate: rangeEndEstimator } : rangeEndEstimator;
  }

  override trySplit(fractionOfRemainder: number): SplitResult<OffsetRange> | undefined {
    if (!this.isGrowing()) return super.trySplit(fractionOfRemainder);
    requireFractionOfRemainder(fractionOfRemainder);
    // Claiming UNBOUNDED_OFFSET marked the range done: nothing is left to split.
    if (this.lastAttemptedOffset === UNBOUNDED_OFFSET) return undefined;
    const cur = this.cursor();
    // An estimate behind the next offset counts as the next offset.
    const estimatedEnd = Math.max(this.estimateEnd(), cur + 1);
    const split = splitPosition(cur, estimatedEnd, fractionOfRemainder);
    if (split > estimatedEnd) return undefined;
    return this.splitAt(split);
  }

  override getProgress(): Progress {
    if (!this.isGrowing()) return super.getProgress();
    const from = this.range.from;
    const completedEnd = this.lastAttemptedOffset ?? from;
    const remainingEnd = Math.max(completedEnd, this.estimateEnd());
    return restrictionProgress(completedEnd - from, remainingEnd - completedEnd);
  }

  override isBounded(): boolean {
    if (this.lastAttemptedOffset === UNBOUNDED_OFFSET) return true;
    return this.range.to !== UNBOUNDED_OFFSET;
  }

  override toString(): string {
    return super.toString().replace(/^OffsetRangeTracker/, "GrowableOffsetRangeTracker");
  }

  /** Still open-ended and not empty: the estimator, not `to`, says where the work ends. */
  private isGrowing(): boolean {
    return this.range.to === UNBOUNDED_OFFSET && this.range.to !== this.range.from;
  }

  private estimateEnd(): number {
    const estimate = this.rangeEndEstimator.estimate();
    if (typeof estimate !== "number" || Number.isNaN(estimate)) {
      throw new SplittableDoFnError(
        `RangeEndEstimator.estimate() must return a number, got ${String(estimate)}; ` +
          `return Number.MIN_SAFE_INTEGER when no estimate is available.`,
      );
    }
    // Java longs saturate at their extremes; so do safe integers here.
    return Math.trunc(Math.min(UNBOUNDED_OFFSET, Math.max(Number.MIN_SAFE_INTEGER, estimate)));
  }
}
