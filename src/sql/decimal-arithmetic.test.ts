import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BigDecimal } from "../coders/index.js";
import { addDecimal, addShape, divideDecimal, divideShape, multiplyDecimal, multiplyShape, rescale, subtractDecimal, truncateDecimal } from "./decimal-arithmetic.js";

const decimal = fc.record({ unscaledValue: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), scale: fc.integer({ min: 0, max: 8 }) });
/** The exact rational a value is, as (numerator, denominator). */
const ratio = (d: BigDecimal): [bigint, bigint] => [d.unscaledValue, 10n ** BigInt(d.scale)];
const equal = (a: BigDecimal, [n, m]: [bigint, bigint]) => a.unscaledValue * m === n * 10n ** BigInt(a.scale);

describe("decimal arithmetic", () => {
  it("adds, subtracts and multiplies exactly at Java BigDecimal's scales", () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const [an, ad] = ratio(a);
        const [bn, bd] = ratio(b);
        expect(equal(addDecimal(a, b), [an * bd + bn * ad, ad * bd])).toBe(true);
        expect(equal(subtractDecimal(a, b), [an * bd - bn * ad, ad * bd])).toBe(true);
        expect(equal(multiplyDecimal(a, b), [an * bn, ad * bd])).toBe(true);
        expect(addDecimal(a, b).scale).toBe(Math.max(a.scale, b.scale));
        expect(multiplyDecimal(a, b).scale).toBe(a.scale + b.scale);
      }),
    );
  });

  it("divides to within half a unit of the last digit, rounding ties away from zero", () => {
    fc.assert(
      fc.property(decimal, decimal, fc.integer({ min: 0, max: 12 }), (a, b, scale) => {
        fc.pre(b.unscaledValue !== 0n);
        const q = divideDecimal(a, b, scale)!;
        expect(q.scale).toBe(scale);
        // |a/b - q| <= 1/2 * 10^-scale, i.e. |2 * (a * 10^scale - q * b)| <= |b| in a common denominator.
        const [an, ad] = ratio(a);
        const [bn, bd] = ratio(b);
        const err = 2n * (an * bd * 10n ** BigInt(scale) - q.unscaledValue * bn * ad);
        const abs = (x: bigint) => (x < 0n ? -x : x);
        expect(abs(err) <= abs(bn * ad)).toBe(true);
      }),
    );
    // Ties: 0.5 and -0.5 to whole numbers go away from zero.
    expect(divideDecimal({ unscaledValue: 5n, scale: 1 }, { unscaledValue: 1n, scale: 0 }, 0)).toEqual({ unscaledValue: 1n, scale: 0 });
    expect(divideDecimal({ unscaledValue: -5n, scale: 1 }, { unscaledValue: 1n, scale: 0 }, 0)).toEqual({ unscaledValue: -1n, scale: 0 });
    expect(divideDecimal({ unscaledValue: 1n, scale: 0 }, { unscaledValue: 0n, scale: 2 }, 2)).toBeUndefined();
  });

  it("rescales half away from zero and truncates toward zero", () => {
    expect(rescale({ unscaledValue: 1235n, scale: 3 }, 2)).toEqual({ unscaledValue: 124n, scale: 2 });
    expect(rescale({ unscaledValue: -1235n, scale: 3 }, 2)).toEqual({ unscaledValue: -124n, scale: 2 });
    expect(rescale({ unscaledValue: 15n, scale: 1 }, 3)).toEqual({ unscaledValue: 1500n, scale: 3 });
    expect(truncateDecimal({ unscaledValue: -1999n, scale: 2 })).toBe(-19n);
    expect(truncateDecimal({ unscaledValue: 12n, scale: -2 })).toBe(1200n);
  });

  it("derives Calcite's result types under Beam's 38-digit limit", () => {
    expect(addShape({ precision: 5, scale: 2 }, { precision: 10, scale: 0 })).toEqual({ precision: 13, scale: 2 });
    expect(multiplyShape({ precision: 5, scale: 2 }, { precision: 3, scale: 1 })).toEqual({ precision: 8, scale: 3 });
    expect(divideShape({ precision: 4, scale: 2 }, { precision: 10, scale: 0 })).toEqual({ precision: 15, scale: 13 });
    expect(divideShape({ precision: 38, scale: 0 }, { precision: 38, scale: 0 })).toEqual({ precision: 38, scale: 0 });
    expect(addShape({ precision: 38, scale: 2 }, { precision: 38, scale: 2 }).precision).toBe(38);
  });
});
