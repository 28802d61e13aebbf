// The key property of restriction trackers: however a runner splits and checkpoints while
// `process` claims, the primary and every residual together claim each position of the
// original work exactly once.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GrowableOffsetRangeTracker, UNBOUNDED_OFFSET } from "./growable-offset-range-tracker.js";
import { OffsetRange } from "./offset-range.js";
import { OffsetRangeTracker } from "./offset-range-tracker.js";

/** One step of the runner/`process` interleaving: claim the next position, or split. */
type Step = { readonly kind: "claim" } | { readonly kind: "split"; readonly fraction: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ kind: "claim" }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "split", fraction: 0 }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0.5, 1, 0.57, 1e-9))
      .map((fraction): Step => ({ kind: "split", fraction })),
  },
);

/** Where the ranges start: small offsets, negatives, and the ends of the safe integers. */
const base = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER + 1),
);

/**
 * Runs `restriction` and every residual split off it to completion the way a runner would:
 * each `process` call claims consecutive positions from its restriction's start until a claim
 * fails (or, for growable ranges, until the data ends, then claims UNBOUNDED_OFFSET), while
 * the steps inject splits between claims; residuals are queued and processed later, and
 * may be split again. Returns every successfully claimed position.
 */
function runToCompletion(
  restriction: OffsetRange,
  newTracker: (r: OffsetRange) => OffsetRangeTracker,
  steps: readonly Step[],
  dataEnd = Number.POSITIVE_INFINITY,
): number[] {
  const claimed: number[] = [];
  const queue = [restriction];
  let next = 0;
  while (queue.length > 0) {
    const r = queue.shift() as OffsetRange;
    const tracker = newTracker(r);
    let position = r.from;
    for (;;) {
      const s = steps[next++] ?? { kind: "claim" };
      if (s.kind === "split") {
        const before = tracker.currentRestriction();
        const split = tracker.trySplit(s.fraction);
        if (split === undefined) {
          expect(tracker.currentRestriction()).toBe(before);
          continue;
        }
        expect(split.primary).toBe(tracker.currentRestriction());
        expect(split.primary.from).toBe(before.from);
        expect(split.primary.to).toBe(split.residual.from);
        expect(split.residual.to).toBe(before.to);
        // Nothing already attempted is handed over.
        expect(split.residual.from).toBeGreaterThan(tracker.lastAttempted() ?? r.from - 1);
        queue.push(split.residual);
        continue;
      }
      if (position >= dataEnd) {
        // A growable source has no more data: mark the range done.
        expect(tracker.tryClaim(UNBOUNDED_OFFSET)).toBe(false);
        break;
      }
      if (!tracker.tryClaim(position)) break;
      claimed.push(position);
      position++;
    }
    expect(() => tracker.checkDone()).not.toThrow();
    expect(tracker.trySplit(0)).toBeUndefined();
  }
  return claimed;
}

function positions(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

describe("splitting while claiming loses and duplicates nothing", () => {
  it("OffsetRangeTracker: the primary and all residuals claim exactly the original range", () => {
    fc.assert(
      fc.property(base, fc.integer({ min: 0, max: 120 }), fc.array(step, { maxLength: 200 }), (from, size, steps) => {
        const range = new OffsetRange(from, from + size);
        const claimed = runToCompletion(range, (r) => new OffsetRangeTracker(r), steps);
        expect(sorted(claimed)).toEqual(positions(from, from + size));
      }),
      { numRuns: 500 },
    );
  });

  it("OffsetRangeTracker: the same holds near the top of the safe integers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(step, { maxLength: 100 }),
        (size, gapToTop, steps) => {
        const to = Number.MAX_SAFE_INTEGER - gapToTop;
        const range = new OffsetRange(to - size, to);
        const claimed = runToCompletion(range, (r) => new OffsetRangeTracker(r), steps);
        expect(sorted(claimed)).toEqual(positions(to - size, to));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("GrowableOffsetRangeTracker: with a finite estimator, every offset of the data is claimed once", () => {
    fc.assert(
      fc.property(
        base,
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: -50, max: 50 }),
        fc.array(step, { maxLength: 200 }),
        (start, dataSize, estimateError, steps) => {
          const dataEnd = start + dataSize;
          // The estimate may be behind or ahead of the data's real end.
          const estimator = { estimate: () => dataEnd + estimateError };
          const claimed = runToCompletion(
            new OffsetRange(start, UNBOUNDED_OFFSET),
            (r) => {
              if (r.to !== UNBOUNDED_OFFSET) return new OffsetRangeTracker(r);
              return new GrowableOffsetRangeTracker(r.from, estimator);
            },
            steps,
            dataEnd,
          );
          expect(sorted(claimed)).toEqual(positions(start, dataEnd));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("progress of a bounded tracker always adds up to the size of its current restriction", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.array(step, { maxLength: 60 }), (size, steps) => {
        const tracker = new OffsetRangeTracker(new OffsetRange(0, size));
        let position = 0;
        for (const s of steps) {
          if (s.kind === "split") tracker.trySplit(s.fraction);
          else if (!tracker.tryClaim(position++)) break;
          const { workCompleted, workRemaining } = tracker.getProgress();
          expect(workCompleted).toBeGreaterThanOrEqual(0);
          expect(workRemaining).toBeGreaterThanOrEqual(0);
          expect(workCompleted + workRemaining).toBe(tracker.currentRestriction().size);
        }
      }),
    );
  });
});
