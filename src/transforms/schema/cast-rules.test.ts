import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogicalTypeUrns, type FieldType } from "../../model/index.js";
import { CastError, castPlan, castValue } from "./cast-rules.js";

const atomic = (type: "BYTE" | "INT16" | "INT32" | "INT64" | "FLOAT" | "DOUBLE" | "STRING", nullable = false): FieldType => ({ kind: "atomic", type, nullable });
const DECIMAL: FieldType = { kind: "logical", urn: LogicalTypeUrns.decimal, representation: { kind: "atomic", type: "BYTES" } };
const one = (type: FieldType) => ({ fields: [{ name: "x", type }] });

describe("cast rules", () => {
  it("finds widening casts lossless and narrowing ones lossy, and refuses unrelated types", () => {
    for (const [from, to] of [["INT32", "INT64"], ["BYTE", "INT16"], ["FLOAT", "DOUBLE"], ["INT16", "FLOAT"], ["INT32", "DOUBLE"]] as const) {
      expect(castPlan(one(atomic(from)), one(atomic(to)))).toEqual({ lossy: [], impossible: [] });
    }
    expect(castPlan(one(atomic("INT64")), one(DECIMAL))).toEqual({ lossy: [], impossible: [] });
    expect(castPlan(one(atomic("INT32")), one(atomic("INT32", true)))).toEqual({ lossy: [], impossible: [] });
    expect(castPlan(one(atomic("INT64")), one(atomic("DOUBLE"))).lossy).toEqual(['"x": int64 (bigint) to double may not fit']);
    expect(castPlan(one(atomic("INT32", true)), one(atomic("INT32"))).lossy).toEqual(['"x" is nullable and the target is not (a null fails)']);
    expect(castPlan(one(atomic("STRING")), one(atomic("INT64"))).impossible).toEqual(['"x": no cast from string to int64 (bigint)']);
    expect(castPlan(one(atomic("INT32")), { fields: [{ name: "y", type: atomic("INT32") }] }).impossible).toEqual([
      '"x" is not in the target schema (drop it first with dropFields)',
      '"y" is not in the input (add it first with addFields)',
    ]);
    const arrays = castPlan(one({ kind: "array", element: atomic("INT64") }), one({ kind: "array", element: atomic("INT32") }));
    expect(arrays.lossy).toEqual(['"x[]": int64 (bigint) to int32 (integer number) may not fit']);
  });

  it("keeps every value through a widening cast and back", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        const wide = castValue(atomic("INT32"), atomic("INT64"), n, "x");
        expect(wide).toBe(BigInt(n));
        expect(castValue(atomic("INT64"), atomic("INT32"), wide, "x")).toBe(n);
        const decimal = castValue(atomic("INT32"), DECIMAL, n, "x");
        expect(decimal).toEqual({ unscaledValue: BigInt(n), scale: 0 });
        expect(castValue(DECIMAL, atomic("INT32"), decimal, "x")).toBe(n);
        expect(castValue(atomic("INT32"), atomic("DOUBLE"), n, "x")).toBe(n);
      }),
    );
  });

  it("fails values that do not fit a narrowing cast, naming the path", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (n) => {
        const fits = n >= -(2n ** 31n) && n < 2n ** 31n;
        if (fits) expect(castValue(atomic("INT64"), atomic("INT32"), n, "Row.x")).toBe(Number(n));
        else expect(() => castValue(atomic("INT64"), atomic("INT32"), n, "Row.x")).toThrow(/^Row\.x: .* is out of the range of int32/);
      }),
    );
    expect(() => castValue(atomic("DOUBLE"), atomic("INT64"), 1.5, "Row.x")).toThrow(CastError);
    expect(() => castValue(atomic("DOUBLE"), atomic("INT64"), 1.5, "Row.x")).toThrow("Row.x: 1.5 is not an integer, so it does not fit int64.");
    expect(() => castValue(DECIMAL, atomic("INT32"), { unscaledValue: 15n, scale: 1 }, "Row.x")).toThrow("Row.x: 1.5 is not an integer");
    expect(() => castValue(atomic("DOUBLE"), atomic("FLOAT"), 1e300, "Row.x")).toThrow(/out of the range of float/);
    expect(castValue(atomic("DOUBLE"), atomic("FLOAT"), 0.1, "Row.x")).toBe(Math.fround(0.1));
    expect(() => castValue(atomic("DOUBLE"), DECIMAL, Number.NaN, "Row.x")).toThrow("Row.x: NaN has no decimal value.");
    expect(castValue(atomic("DOUBLE"), DECIMAL, 2.5, "Row.x")).toEqual({ unscaledValue: 25n, scale: 1 });
    expect(() => castValue(atomic("INT32", true), atomic("INT32"), null, "Row.x")).toThrow("Row.x: null does not fit the non-null int32 (integer number).");
  });
});
