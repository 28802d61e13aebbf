import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffsetRange, offsetRangesEqual } from "./offset-range.js";
import { SplittableDoFnError } from "./errors.js";

describe("OffsetRange", () => {
  it("is half-open: holds from and not to, and its size is to - from", () => {
    const r = new OffsetRange(3, 7);
    expect(r.size).toBe(4);
    expect(r.contains(3)).toBe(true);
    expect(r.contains(7)).toBe(false);
    expect(new OffsetRange(5, 5).isEmpty).toBe(true);
  });

  it("renders as Beam does", () => {
    expect(new OffsetRange(-2, 10).toString()).toBe("[-2, 10)");
  });

  it("rejects from > to with Beam's message", () => {
    expect(() => new OffsetRange(5, 4)).toThrow(SplittableDoFnError);
    expect(() => new OffsetRange(5, 4)).toThrow("Malformed range [5, 4)");
  });

  it("rejects offsets that are not safe integers", () => {
    expect(() => new OffsetRange(0.5, 4)).toThrow("from must be a safe integer");
    expect(() => new OffsetRange(0, Number.MAX_SAFE_INTEGER + 1)).toThrow("to must be a safe integer");
    expect(() => new OffsetRange(0, Number.NaN)).toThrow("to must be a safe integer");
  });

  it("compares by value", () => {
    expect(new OffsetRange(1, 2).equals(new OffsetRange(1, 2))).toBe(true);
    expect(new OffsetRange(1, 2).equals(new OffsetRange(1, 3))).toBe(false);
    expect(offsetRangesEqual(undefined, undefined)).toBe(true);
    expect(offsetRangesEqual(new OffsetRange(1, 2), undefined)).toBe(false);
  });

  describe("split", () => {
    it("cuts pieces of the desired size and stretches the last one over a tail smaller than minSize", () => {
      expect(new OffsetRange(0, 100).split(30, 20).map(String)).toEqual(["[0, 30)", "[30, 60)", "[60, 100)"]);
      expect(new OffsetRange(0, 100).split(30, 10).map(String)).toEqual([
        "[0, 30)",
        "[30, 60)",
        "[60, 90)",
        "[90, 100)",
      ]);
    });

    it("stretches the last piece over a tail smaller than a quarter of the desired size (integer division)", () => {
      // desired 10: quarter is 2; a tail of 1 is absorbed, a tail of 2 is not.
      expect(new OffsetRange(0, 21).split(10, 0).map(String)).toEqual(["[0, 10)", "[10, 21)"]);
      expect(new OffsetRange(0, 22).split(10, 0).map(String)).toEqual(["[0, 10)", "[10, 20)", "[20, 22)"]);
    });

    it("gives no pieces for an empty range", () => {
      expect(new OffsetRange(4, 4).split(10, 1)).toEqual([]);
    });

    it("rejects a desired size that is not positive, which would never terminate in Beam", () => {
      expect(() => new OffsetRange(0, 10).split(0, 1)).toThrow("desiredSize must be a positive integer");
      expect(() => new OffsetRange(0, 10).split(5, -1)).toThrow("minSize must be a non-negative integer");
    });

    it("covers the range with consecutive pieces, all of the desired size but the last", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: -1000, max: 1000 }),
          fc.integer({ min: 0, max: 500 }),
          fc.integer({ min: 1, max: 100 }),
          fc.integer({ min: 0, max: 100 }),
          (from, size, desired, min) => {
            const pieces = new OffsetRange(from, from + size).split(desired, min);
            let cursor = from;
            for (const [i, piece] of pieces.entries()) {
              expect(piece.from).toBe(cursor);
              expect(piece.size).toBeGreaterThan(0);
              if (i < pieces.length - 1) expect(piece.size).toBe(desired);
              cursor = piece.to;
            }
            expect(cursor).toBe(from + size);
          },
        ),
      );
    });
  });
});
