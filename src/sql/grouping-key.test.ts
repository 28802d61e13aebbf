import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deterministicJsValueCoder, encodeToBytes } from "../coders/index.js";
import { groupingKey } from "./grouping-key.js";
import { keyValue } from "./sql-values.js";
import type { SqlTypeName } from "./sql-types.js";

// Values of each SQL type as rows hold them, with NULLs and the characters the encoding uses.
const text = fc.oneof(fc.string(), fc.constantFrom("", ":", ";", "~", "?", "1:a", "\u0000", "é€😀"));
const COLUMNS: readonly (readonly [SqlTypeName, fc.Arbitrary<unknown>])[] = [
  ["VARCHAR", text],
  ["INTEGER", fc.integer()],
  ["DOUBLE", fc.oneof(fc.double(), fc.constantFrom(-0, 0, Number.NaN, Infinity, 1e21, 5e-324))],
  ["BIGINT", fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ["BOOLEAN", fc.boolean()],
  ["TIMESTAMP", fc.integer({ min: -1e13, max: 1e13 })],
  ["DECIMAL", fc.record({ unscaledValue: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), scale: fc.integer({ min: 0, max: 6 }) })],
  ["VARBINARY", fc.uint8Array({ maxLength: 4 })],
  ["OTHER", fc.oneof(fc.array(fc.integer(), { maxLength: 2 }), text)],
];

const columns = fc.array(fc.constantFrom(...COLUMNS), { minLength: 1, maxLength: 4 });
const rowOf = (cols: readonly (readonly [SqlTypeName, fc.Arbitrary<unknown>])[]) => fc.tuple(...cols.map(([, a]) => fc.option(a, { nil: null })));
/** Beam's key equality before this encoding: equal deterministic JS value encodings of the key values. */
const jsKey = (row: readonly unknown[]) => Buffer.from(encodeToBytes(deterministicJsValueCoder, row.map((v) => (v === null ? null : keyValue(v))))).toString("hex");

describe("groupingKey", () => {
  it("decodes every key to its key values", () => {
    fc.assert(
      fc.property(
        columns.chain((cols) => fc.tuple(fc.constant(cols.map(([t]) => t)), rowOf(cols))),
        ([types, row]) => {
          const k = groupingKey(types);
          expect(k.decode(k.encode(row))).toEqual(row.map((v) => (v === null ? null : keyValue(v))));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives two rows one key exactly when their key values are equal (1.5 and 1.50, -0 and 0)", () => {
    fc.assert(
      fc.property(
        columns.chain((cols) => fc.tuple(fc.constant(cols.map(([t]) => t)), rowOf(cols), rowOf(cols))),
        ([types, a, b]) => {
          const k = groupingKey(types);
          expect(k.encode(a) === k.encode(b)).toBe(jsKey(a) === jsKey(b));
        },
      ),
      { numRuns: 500 },
    );
    const d = groupingKey(["DECIMAL", "DOUBLE"]);
    expect(d.encode([{ unscaledValue: 15n, scale: 1 }, -0])).toBe(d.encode([{ unscaledValue: 150n, scale: 2 }, 0]));
  });

  it("gives an INT64 value one key whether it is a bigint or a JS number, as Beam's RowCoder encodes both alike", () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const k = groupingKey(["BIGINT"]);
        expect(k.encode([n])).toBe(k.encode([BigInt(n)]));
        expect(k.decode(k.encode([n]))).toEqual([BigInt(n)]);
      }),
    );
    // A fraction is no INT64 value: it keeps its own (JS value) key.
    expect(groupingKey(["BIGINT"]).encode([1.5])).not.toBe(groupingKey(["BIGINT"]).encode([1n]));
  });

  it("is carried by Beam's string coder, deterministic", () => {
    const k = groupingKey(["VARCHAR", "INTEGER"]);
    expect(k.coder.urn).toBe("beam:coder:string_utf8:v1");
    expect(k.coder.deterministic).toBe(true);
  });
});
