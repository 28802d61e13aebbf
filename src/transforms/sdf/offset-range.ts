import { SplittableDoFnError } from "./errors.js";

/**
 * A restriction made of the offsets `[from, to)` (half-open, `from <= to`), as Beam's
 * `org.apache.beam.sdk.io.range.OffsetRange`. Offsets are JS safe integers;
 * `Number.MAX_SAFE_INTEGER` plays the role of Java's `Long.MAX_VALUE` (the end of an
 * unbounded, growable range, see GrowableOffsetRangeTracker). Values are immutable.
 *
 * @example
 * const r = new OffsetRange(0, 100);
 * r.split(30, 20).map(String); // ["[0, 30)", "[30, 60)", "[60, 100)"]
 */
export class OffsetRange {
  readonly from: number;
  readonly to: number;

  constructor(from: number, to: number) {
    requireOffset(from, "from");
    requireOffset(to, "to");
    if (from > to) {
      throw new SplittableDoFnError(`Malformed range [${from}, ${to}): from must not be greater than to.`);
    }
    this.from = from;
    this.to = to;
  }

  /** The number of offsets in the range, `to - from`. */
  get size(): number {
    return this.to - this.from;
  }

  /** True when the range holds no offset. */
  get isEmpty(): boolean {
    return this.from === this.to;
  }

  /**
   * Cuts the range into consecutive pieces of `desiredSize` offsets, as Beam's
   * `OffsetRange.split(desiredNumOffsetsPerSplit, minNumOffsetPerSplit)`: a piece is
   * stretched to the end of the range when what would be left after it is smaller than a
   * quarter of `desiredSize` or than `minSize`, so no tiny piece trails. An empty range
   * gives no pieces.
   */
  split(desiredSize: number, minSize = 1): OffsetRange[] {
    if (!Number.isSafeInteger(desiredSize) || desiredSize <= 0) {
      throw new SplittableDoFnError(`OffsetRange.split: desiredSize must be a positive integer, got ${desiredSize}.`);
    }
    if (!Number.isSafeInteger(minSize) || minSize < 0) {
      throw new SplittableDoFnError(`OffsetRange.split: minSize must be a non-negative integer, got ${minSize}.`);
    }
    const pieces: OffsetRange[] = [];
    const quarter = Math.floor(desiredSize / 4); // Java's integer division
    let start = this.from;
    while (start < this.to) {
      let end = Math.min(start + desiredSize, this.to);
      const remaining = this.to - end;
      if (remaining < quarter || remaining < minSize) end = this.to;
      pieces.push(new OffsetRange(start, end));
      start = end;
    }
    return pieces;
  }

  /** Whether `offset` lies in `[from, to)`. */
  contains(offset: number): boolean {
    return offset >= this.from && offset < this.to;
  }

  /** Value equality: same `from` and same `to`. */
  equals(other: OffsetRange): boolean {
    return this.from === other.from && this.to === other.to;
  }

  /** Beam's rendering, `[from, to)`. */
  toString(): string {
    return `[${this.from}, ${this.to})`;
  }
}

/** Value equality of two ranges; `undefined` equals only `undefined`. */
export function offsetRangesEqual(a: OffsetRange | undefined, b: OffsetRange | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.equals(b);
}

function requireOffset(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new SplittableDoFnError(`OffsetRange: ${name} must be a safe integer, got ${String(value)}.`);
  }
}
