import { describe, expect, it } from "vitest";
import { OffsetRange } from "./offset-range.js";
import { OffsetRangeTracker } from "./offset-range-tracker.js";

const tracker = (from: number, to: number): OffsetRangeTracker => new OffsetRangeTracker(new OffsetRange(from, to));

describe("OffsetRangeTracker", () => {
  describe("tryClaim", () => {
    it("claims every offset of the range and refuses the first one past it", () => {
      const t = tracker(0, 3);
      expect([0, 1, 2, 3].map((i) => t.tryClaim(i))).toEqual([true, true, true, false]);
      expect(t.lastClaimed()).toBe(2);
      expect(t.lastAttempted()).toBe(3);
      t.checkDone();
    });

    it("may skip offsets, as long as they increase", () => {
      const t = tracker(0, 10);
      expect(t.tryClaim(2)).toBe(true);
      expect(t.tryClaim(7)).toBe(true);
    });

    it("returns false for an offset beyond the end and counts it as done", () => {
      const t = tracker(0, 10);
      t.tryClaim(4);
      expect(t.tryClaim(15)).toBe(false);
      expect(t.lastClaimed()).toBe(4);
      expect(() => t.checkDone()).not.toThrow();
    });

    it("throws when an offset is not greater than the last attempted one", () => {
      const t = tracker(0, 10);
      t.tryClaim(5);
      expect(() => t.tryClaim(3)).toThrow("Trying to claim offset 3 while last attempted was 5");
      expect(() => t.tryClaim(5)).toThrow("Trying to claim offset 5 while last attempted was 5");
    });

    it("throws for an offset after a failed claim too, since attempts must increase", () => {
      const t = tracker(0, 10);
      expect(t.tryClaim(12)).toBe(false);
      expect(() => t.tryClaim(11)).toThrow("Trying to claim offset 11 while last attempted was 12");
    });

    it("throws when an offset lies before the start of the range", () => {
      expect(() => tracker(5, 10).tryClaim(3)).toThrow("Trying to claim offset 3 before start of the range [5, 10)");
    });

    it("throws for an offset that is not a safe integer", () => {
      expect(() => tracker(0, 10).tryClaim(1.5)).toThrow("not a safe integer");
    });
  });

  describe("checkDone", () => {
    it("fails when nothing was claimed in a non-empty range", () => {
      expect(() => tracker(0, 10).checkDone()).toThrow(
        "Last attempted offset should not be null. No work was claimed in non-empty range [0, 10).",
      );
    });

    it("fails naming the unattempted rest of the range", () => {
      const t = tracker(0, 10);
      for (let i = 0; i <= 5; i++) t.tryClaim(i);
      expect(() => t.checkDone()).toThrow(
        "Last attempted offset was 5 in range [0, 10), claiming work in [6, 10) was not attempted",
      );
    });

    it("passes once the last offset of the range was claimed, without a failed claim", () => {
      const t = tracker(0, 3);
      t.tryClaim(2);
      expect(() => t.checkDone()).not.toThrow();
    });

    it("passes for an empty range", () => {
      expect(() => tracker(4, 4).checkDone()).not.toThrow();
    });

    it("checks against the primary after a split", () => {
      const t = tracker(0, 10);
      t.tryClaim(0);
      t.trySplit(0);
      expect(t.tryClaim(1)).toBe(false);
      expect(() => t.checkDone()).not.toThrow();
    });
  });

  describe("trySplit", () => {
    it("splits the remainder after the offset being processed, as in Beam's javadoc example", () => {
      const t = tracker(100, 200);
      t.tryClaim(130);
      const split = t.trySplit(0.7);
      expect(split?.primary.toString()).toBe("[100, 179)");
      expect(split?.residual.toString()).toBe("[179, 200)");
      expect(t.currentRestriction().toString()).toBe("[100, 179)");
    });

    it("checkpoints at fraction 0: the residual is everything after the offset being processed", () => {
      const t = tracker(0, 10);
      t.tryClaim(3);
      const split = t.trySplit(0);
      expect(split?.primary.toString()).toBe("[0, 4)");
      expect(split?.residual.toString()).toBe("[4, 10)");
    });

    it("checkpoints before any claim by giving the whole range away", () => {
      const t = tracker(0, 10);
      const split = t.trySplit(0);
      expect(split?.primary.toString()).toBe("[0, 0)");
      expect(split?.residual.toString()).toBe("[0, 10)");
      expect(() => t.checkDone()).not.toThrow();
    });

    it("measures from one before the start when nothing was attempted, and truncates", () => {
      // cur = -1, split = -1 + 11 * 0.5 = 4.5 -> 4
      expect(tracker(0, 10).trySplit(0.5)?.primary.toString()).toBe("[0, 4)");
    });

    it("returns undefined when the split would leave no residual", () => {
      const t = tracker(0, 10);
      t.tryClaim(5);
      expect(t.trySplit(1)).toBeUndefined();
      t.tryClaim(9);
      expect(t.trySplit(0)).toBeUndefined();
      expect(t.currentRestriction().toString()).toBe("[0, 10)");
    });

    it("returns undefined once a claim past the end finished the range", () => {
      const t = tracker(0, 10);
      t.tryClaim(10);
      expect(t.trySplit(0)).toBeUndefined();
    });

    it("makes claims past the new end fail", () => {
      const t = tracker(0, 10);
      t.tryClaim(0);
      t.trySplit(0.5);
      expect(t.currentRestriction().toString()).toBe("[0, 5)");
      expect(t.tryClaim(4)).toBe(true);
      expect(t.tryClaim(5)).toBe(false);
    });

    it("rejects a fraction outside [0, 1]", () => {
      expect(() => tracker(0, 10).trySplit(2)).toThrow("fractionOfRemainder must be in [0, 1], got 2");
    });
  });

  describe("getProgress", () => {
    it("reports the whole range as remaining before any claim", () => {
      expect(tracker(10, 30).getProgress()).toEqual({ workCompleted: 0, workRemaining: 20 });
    });

    it("counts the offset being processed as remaining", () => {
      const t = tracker(10, 30);
      t.tryClaim(15);
      expect(t.getProgress()).toEqual({ workCompleted: 5, workRemaining: 15 });
    });

    it("reports nothing remaining after a claim past the end", () => {
      const t = tracker(10, 30);
      t.tryClaim(40);
      expect(t.getProgress()).toEqual({ workCompleted: 20, workRemaining: 0 });
    });

    it("follows the primary after a split", () => {
      const t = tracker(0, 100);
      t.tryClaim(10);
      t.trySplit(0);
      expect(t.getProgress()).toEqual({ workCompleted: 10, workRemaining: 1 });
    });
  });

  it("is bounded", () => {
    expect(tracker(0, 10).isBounded()).toBe(true);
  });

  it("describes itself for logs", () => {
    const t = tracker(0, 10);
    t.tryClaim(2);
    expect(t.toString()).toBe("OffsetRangeTracker{range=[0, 10), lastClaimedOffset=2, lastAttemptedOffset=2}");
  });
});
