import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConstructionError, t } from "../../model/index.js";
import { resolveDialect } from "./csv-dialect.js";
import { fieldCodec } from "./csv-values.js";


describe("resolveDialect", () => {
  it("rejects a dialect whose characters collide or are not one character", () => {
    expect(() => resolveDialect("readCsv", { delimiter: '"' })).toThrow(ConstructionError);
    expect(() => resolveDialect("readCsv", { delimiter: "ab" })).toThrow(/delimiter must be one character/);
    expect(() => resolveDialect("readCsv", { nullValue: "a,b" })).toThrow(/nullValue/);
  });
});

describe("field codecs", () => {
  it("round-trips int64 as bigint, decimal, timestamps, dates and times through their text", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        expect(fieldCodec(t.int64().type)!.parse(fieldCodec(t.int64().type)!.format(n))).toBe(n);
      }),
    );
    const ts = fieldCodec(t.timestamp().type)!;
    fc.assert(fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
      expect(ts.parse(ts.format(ms))).toBe(ms);
    }), { numRuns: 200 });
    const date = fieldCodec(t.date().type)!;
    fc.assert(fc.property(fc.integer({ min: -719_528, max: 2_932_896 }), (d) => {
      expect(date.parse(date.format(d))).toBe(d);
    }));
    const time = fieldCodec(t.time().type)!;
    fc.assert(fc.property(fc.integer({ min: 0, max: 86_399_999_999_999 }), (ns) => {
      expect(time.parse(time.format(ns))).toBe(ns);
    }));
    expect(fieldCodec(t.decimal().type)!.parse("-12.50")).toEqual({ unscaledValue: -1250n, scale: 2 });
    expect(ts.parse("2024-05-01T14:00:00+02:00")).toBe(Date.UTC(2024, 4, 1, 12));
  });

  it("rejects text a field type cannot hold, saying what it expected", () => {
    expect(() => fieldCodec(t.int32().type)!.parse("12x")).toThrow(/expected an integer/);
    expect(() => fieldCodec(t.int32().type)!.parse("2147483648")).toThrow(/expected an integer/);
    expect(() => fieldCodec(t.int64().type)!.parse("9223372036854775808")).toThrow(/int64/);
    expect(() => fieldCodec(t.double().type)!.parse("")).toThrow(/expected a number/);
    expect(() => fieldCodec(t.timestamp().type)!.parse("2024-05-01 12:00")).toThrow(/ISO 8601/);
    expect(() => fieldCodec(t.date().type)!.parse("2024-02-30")).toThrow(/YYYY-MM-DD/);
    expect(() => fieldCodec(t.boolean().type)!.parse("yes")).toThrow(/true or false/);
    expect(fieldCodec(t.array(t.string()).type)).toBeUndefined();
  });
});
