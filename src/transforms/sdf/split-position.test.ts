import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requireFractionOfRemainder, splitPosition } from "./split-position.js";

describe("splitPosition (Beam's BigDecimal split arithmetic)", () => {
  it("splits at cur + (end - cur) * fraction, as in Beam's RestrictionTracker javadoc", () => {
    expect(splitPosition(130, 200, 0.7)).toBe(179);
  });

  it("moves at least one position past cur, so fraction 0 is a checkpoint right after cur", () => {
    expect(splitPosition(4, 10, 0)).toBe(5);
    expect(splitPosition(4, 10, 0.01)).toBe(5);
  });

  it("uses the fraction's decimal value, not its binary one (100 * 0.57 is 57, not 56.99...)", () => {
    expect(100 * 0.57).toBeLessThan(57); // what naive doubles would truncate to 56
    expect(splitPosition(0, 100, 0.57)).toBe(57);
  });

  it("truncates toward zero, like BigDecimal.longValue, also for negative positions", () => {
    expect(splitPosition(-1, 10, 0.5)).toBe(4); // -1 + 5.5 = 4.5
    expect(splitPosition(-11, 0, 0.5)).toBe(-5); // -11 + 5.5 = -5.5
  });

  it("reads fractions printed in exponent form", () => {
    expect(splitPosition(0, 10 ** 9, 1e-7)).toBe(100);
    expect(splitPosition(0, 10, 5e-324)).toBe(1);
  });

  it("stays exact at the ends of the safe-integer range", () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(splitPosition(max - 3, max, 0.5)).toBe(max - 2); // max - 3 + 1.5
    expect(splitPosition(Number.MIN_SAFE_INTEGER - 1, Number.MIN_SAFE_INTEGER + 9, 0)).toBe(Number.MIN_SAFE_INTEGER);
  });

  it("lies in (cur, end] for every fraction in [0, 1] when end > cur", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (cur, gap, fraction) => {
          const split = splitPosition(cur, cur + gap, fraction);
          expect(split).toBeGreaterThan(cur);
          expect(split).toBeLessThanOrEqual(cur + gap);
        },
      ),
    );
  });

  it("rejects fractions outside [0, 1]", () => {
    expect(() => requireFractionOfRemainder(-0.1)).toThrow("fractionOfRemainder must be in [0, 1], got -0.1");
    expect(() => requireFractionOfRemainder(1.5)).toThrow("fractionOfRemainder must be in [0, 1]");
    expect(() => requireFractionOfRemainder(Number.NaN)).toThrow("fractionOfRemainder must be in [0, 1]");
  });
});
