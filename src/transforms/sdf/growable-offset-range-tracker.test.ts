import { describe, expect, it } from "vitest";
import { GrowableOffsetRangeTracker, UNBOUNDED_OFFSET } from "./growable-offset-range-tracker.js";

const growable = (start: number, end: number): GrowableOffsetRangeTracker =>
  new GrowableOffsetRangeTracker(start, { estimate: () => end });

describe("GrowableOffsetRangeTracker", () => {
  it("tracks [start, UNBOUNDED_OFFSET), UNBOUNDED_OFFSET standing for Java's Long.MAX_VALUE", () => {
    const t = growable(7, 100);
    expect(t.currentRestriction().toString()).toBe(`[7, ${Number.MAX_SAFE_INTEGER})`);
    expect(UNBOUNDED_OFFSET).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("accepts the estimator as a plain function", () => {
    const t = new GrowableOffsetRangeTracker(0, () => 50);
    expect(t.getProgress()).toEqual({ workCompleted: 0, workRemaining: 50 });
  });

  describe("isBounded", () => {
    it("is unbounded while the range is open-ended", () => {
      const t = growable(0, 10);
      t.tryClaim(5);
      expect(t.isBounded()).toBe(false);
    });

    it("is bounded once claiming UNBOUNDED_OFFSET marked it done", () => {
      const t = growable(0, 10);
      expect(t.tryClaim(UNBOUNDED_OFFSET)).toBe(false);
      expect(t.isBounded()).toBe(true);
      expect(() => t.checkDone()).not.toThrow();
    });

    it("is bounded once a split gave it a finite end", () => {
      const t = growable(0, 10);
      t.tryClaim(3);
      t.trySplit(0);
      expect(t.isBounded()).toBe(true);
    });
  });

  describe("trySplit", () => {
    it("splits the estimated remainder, leaving an open-ended residual", () => {
      const t = growable(0, 20);
      t.tryClaim(9);
      const split = t.trySplit(0.5); // 9 + (20 - 9) * 0.5 = 14.5 -> 14
      expect(split?.primary.toString()).toBe("[0, 14)");
      expect(split?.residual.toString()).toBe(`[14, ${UNBOUNDED_OFFSET})`);
    });

    it("checkpoints at fraction 0 right after the offset being processed", () => {
      const t = growable(0, 20);
      t.tryClaim(4);
      const split = t.trySplit(0);
      expect(split?.primary.toString()).toBe("[0, 5)");
      expect(split?.residual.toString()).toBe(`[5, ${UNBOUNDED_OFFSET})`);
    });

    it("checkpoints before any claim by giving the whole range away", () => {
      const split = growable(3, 20).trySplit(0);
      expect(split?.primary.toString()).toBe("[3, 3)");
      expect(split?.residual.toString()).toBe(`[3, ${UNBOUNDED_OFFSET})`);
    });

    it("treats an estimate behind the current offset as the next offset", () => {
      const t = growable(0, 5);
      t.tryClaim(9);
      const split = t.trySplit(0.5);
      expect(split?.primary.toString()).toBe("[0, 10)");
      expect(split?.residual.toString()).toBe(`[10, ${UNBOUNDED_OFFSET})`);
    });

    it("treats Number.MIN_SAFE_INTEGER (no estimate) as the next offset", () => {
      const t = growable(0, Number.MIN_SAFE_INTEGER);
      t.tryClaim(2);
      expect(t.trySplit(1)?.primary.toString()).toBe("[0, 3)");
    });

    it("returns undefined after UNBOUNDED_OFFSET was claimed", () => {
      const t = growable(0, 20);
      t.tryClaim(UNBOUNDED_OFFSET);
      expect(t.trySplit(0)).toBeUndefined();
    });

    it("splits a range made finite by an earlier split as an OffsetRangeTracker would", () => {
      const t = growable(0, 1000);
      t.tryClaim(0);
      t.trySplit(0.5); // [0, 500)
      expect(t.currentRestriction().toString()).toBe("[0, 500)");
      t.tryClaim(100);
      const split = t.trySplit(0.5); // 100 + 400 * 0.5
      expect(split?.primary.toString()).toBe("[0, 300)");
      expect(split?.residual.toString()).toBe("[300, 500)");
    });

    it("asks the estimator again on every split", () => {
      let end = 10;
      const t = new GrowableOffsetRangeTracker(0, () => end);
      t.tryClaim(0);
      end = 1000;
      expect(t.trySplit(0.5)?.primary.toString()).toBe("[0, 500)");
    });

    it("rejects an estimator that returns NaN", () => {
      const t = new GrowableOffsetRangeTracker(0, () => Number.NaN);
      expect(() => t.trySplit(0.5)).toThrow("RangeEndEstimator.estimate() must return a number, got NaN");
    });
  });

  describe("getProgress", () => {
    it("measures remaining work up to the estimated end", () => {
      const t = growable(10, 100);
      expect(t.getProgress()).toEqual({ workCompleted: 0, workRemaining: 90 });
      t.tryClaim(30);
      expect(t.getProgress()).toEqual({ workCompleted: 20, workRemaining: 70 });
    });

    it("reports nothing remaining when the estimate is behind", () => {
      const t = growable(0, 5);
      t.tryClaim(30);
      expect(t.getProgress()).toEqual({ workCompleted: 30, workRemaining: 0 });
    });

    it("uses the finite range once a split bounded it", () => {
      const t = growable(0, 100);
      t.tryClaim(10);
      t.trySplit(0);
      expect(t.getProgress()).toEqual({ workCompleted: 10, workRemaining: 1 });
    });
  });

  it("fails checkDone while the open-ended range was neither finished nor split", () => {
    const t = growable(0, 100);
    t.tryClaim(5);
    expect(() => t.checkDone()).toThrow(
      `Last attempted offset was 5 in range [0, ${UNBOUNDED_OFFSET}), claiming work in [6, ${UNBOUNDED_OFFSET}) was not attempted`,
    );
  });

  it("describes itself for logs", () => {
    expect(growable(0, 1).toString()).toMatch(/^GrowableOffsetRangeTracker\{range=\[0, /);
  });
});
