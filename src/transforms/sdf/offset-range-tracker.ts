import { SplittableDoFnError } from "./errors.js";
import { OffsetRange } from "./offset-range.js";
import {
  restrictionProgress,
  type Progress,
  type RestrictionTracker,
  type SplitResult,
} from "./restriction-tracker.js";
import { requireFractionOfRemainder, splitPosition } from "./split-position.js";

/**
 * Beam's OffsetRangeTracker: claims the offsets of an OffsetRange in strictly increasing
 * order. Claiming an offset at or past the end of the (possibly split) range returns false
 * and counts as an attempt, which is how `process` learns it is done: `checkDone` passes
 * once the last attempted offset reaches `to - 1`.
 *
 * Splits are computed from the last *attempted* offset (the offset being processed belongs
 * to the primary): `split = cur + max(1, (to - cur) * fraction)`, truncated, where `cur`
 * is the last attempted offset or `from - 1` before any attempt. So fraction 0 is a
 * checkpoint that leaves everything after the current offset to the residual.
 *
 * @example
 * const t = new OffsetRangeTracker(new OffsetRange(100, 200));
 * t.tryClaim(130);
 * t.trySplit(0.7); // { primary: [100, 179), residual: [179, 200) }
 */
export class OffsetRangeTracker implements RestrictionTracker<OffsetRange, number> {
  protected range: OffsetRange;
  protected lastClaimedOffset: number | undefined = undefined;
  protected lastAttemptedOffset: number | undefined = undefined;

  constructor(range: OffsetRange) {
    this.range = range;
  }

  currentRestriction(): OffsetRange {
    return this.range;
  }

  /**
   * Claims `offset`. Throws when `offset` is not greater than the last attempted offset or
   * lies before the range's start; returns false (and records the attempt) when it lies at
   * or beyond the range's end.
   */
  tryClaim(offset: number): boolean {
    if (!Number.isSafeInteger(offset)) {
      throw new SplittableDoFnError(`Trying to claim offset ${String(offset)}, which is not a safe integer`);
    }
    if (this.lastAttemptedOffset !== undefined && offset <= this.lastAttemptedOffset) {
      throw new SplittableDoFnError(
        `Trying to claim offset ${offset} while last attempted was ${this.lastAttemptedOffset}`,
      );
    }
    if (offset < this.range.from) {
      throw new SplittableDoFnError(
        `Trying to claim offset ${offset} before start of the range ${this.range.toString()}`,
      );
    }
    this.lastAttemptedOffset = offset;
    // Claiming at or beyond `to` is allowed: it is how process() discovers the end.
    if (offset >= this.range.to) return false;
    this.lastClaimedOffset = offset;
    return true;
  }

  trySplit(fractionOfRemainder: number): SplitResult<OffsetRange> | undefined {
    requireFractionOfRemainder(fractionOfRemainder);
    const split = splitPosition(this.cursor(), this.range.to, fractionOfRemainder);
    if (split >= this.range.to) return undefined;
    return this.splitAt(split);
  }

  checkDone(): void {
    const range = this.range;
    if (range.from === range.to) return;
    if (this.lastAttemptedOffset === undefined) {
      throw new SplittableDoFnError(
        `Last attempted offset should not be null. No work was claimed in non-empty range ${range.toString()}.`,
      );
    }
    if (this.lastAttemptedOffset < range.to - 1) {
      throw new SplittableDoFnError(
        `Last attempted offset was ${this.lastAttemptedOffset} in range ${range.toString()}, ` +
          `claiming work in [${this.lastAttemptedOffset + 1}, ${range.to}) was not attempted`,
      );
    }
  }

  isBounded(): boolean {
    return true;
  }

  /**
   * Before any attempt, the whole range remains. Afterwards the offset being processed and
   * everything after it remain (never below zero once claims went past the end).
   */
  getProgress(): Progress {
    const { from, to } = this.range;
    if (this.lastAttemptedOffset === undefined) return restrictionProgress(0, to - from);
    const remaining = Math.max(0, to - this.lastAttemptedOffset);
    return restrictionProgress(to - from - remaining, remaining);
  }

  /** The last offset successfully claimed, if any. */
  lastClaimed(): number | undefined {
    return this.lastClaimedOffset;
  }

  /** The last offset passed to `tryClaim`, successful or not, if any. */
  lastAttempted(): number | undefined {
    return this.lastAttemptedOffset;
  }

  toString(): string {
    return (
      `OffsetRangeTracker{range=${this.range.toString()}, ` +
      `lastClaimedOffset=${this.lastClaimedOffset ?? "null"}, ` +
      `lastAttemptedOffset=${this.lastAttemptedOffset ?? "null"}}`
    );
  }

  /** Where splitting measures from: the last attempted offset, or `from - 1` before any. */
  protected cursor(): number {
    return this.lastAttemptedOffset ?? this.range.from - 1;
  }

  /** Keeps `[from, split)` and hands `[split, to)` off as the residual. */
  protected splitAt(split: number): SplitResult<OffsetRange> {
    const residual = new OffsetRange(split, this.range.to);
    this.range = new OffsetRange(this.range.from, split);
    return { primary: this.range, residual };
  }
}
