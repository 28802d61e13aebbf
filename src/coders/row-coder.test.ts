import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBigDecimal } from "./big-decimal-coder.js";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
import { rowCoder } from "./row-coder.js";
import type { Schema } from "./schema.js";
import { LogicalTypeUrns } from "./urns.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("rowCoder", () => {
  it("keeps the null bitmap in schema order when encoding positions reorder the fields", () => {
    // As Python's RowCoderImpl: bit i is the schema's field i; values go in encoding order.
    const schema: Schema = {
      encodingPositionsSet: true,
      fields: [
        { name: "a", type: { kind: "atomic", type: "STRING", nullable: true }, encodingPosition: 2 },
        { name: "b", type: { kind: "atomic", type: "INT32" }, encodingPosition: 0 },
        { name: "c", type: { kind: "atomic", type: "BOOLEAN", nullable: true }, encodingPosition: 1 },
      ],
    };
    const coder = rowCoder(schema);
    const row = { a: null, b: 5, c: true };
    const bytes = encodeToBytes(coder, row);
    expect(hex(bytes)).toBe("0301010501");
    expect(decodeFromBytes(coder, bytes)).toEqual(row);
    expect(decodeFromBytes(coder, encodeToBytes(coder, { a: "x", b: 5, c: null }))).toEqual({ a: "x", b: 5, c: null });
  });

  it("writes millis_instant fields as Java's InstantCoder and decimal fields as its BigDecimalCoder", () => {
    const schema: Schema = {
      fields: [
        { name: "at", type: { kind: "logical", urn: LogicalTypeUrns.millisInstant, representation: { kind: "atomic", type: "INT64" } } },
        { name: "price", type: { kind: "logical", urn: LogicalTypeUrns.decimal, representation: { kind: "atomic", type: "BYTES" } } },
      ],
    };
    const coder = rowCoder(schema);
    const row = { at: 1597328054123, price: parseBigDecimal("1.0") };
    const bytes = encodeToBytes(coder, row);
    expect(hex(bytes)).toBe("0200" + "80000173e82bd76b" + "01010a");
    expect(decodeFromBytes(coder, bytes)).toEqual(row);
  });

  // The int64 and int32 fields decode through numbers where the value allows (a fast path);
  // the bytes must stay Beam's VarLong / VarInt over the whole range, nulls included.
  const numbers: Schema = {
    fields: [
      { name: "a", type: { kind: "atomic", type: "INT64" } },
      { name: "b", type: { kind: "atomic", type: "INT32" } },
      { name: "c", type: { kind: "atomic", type: "INT64", nullable: true } },
      { name: "d", type: { kind: "atomic", type: "STRING", nullable: true } },
    ],
  };
  /** Beam's varint of an integer's unsigned 64 (`bits` = 64) or 32 bits, the reference. */
  const varint = (v: bigint, bits: number): string => {
    let u = BigInt.asUintN(bits, v);
    const out: number[] = [];
    while (u >= 0x80n) {
      out.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    out.push(Number(u));
    return hex(Uint8Array.from(out));
  };

  it("encodes int64 and int32 fields as Beam's VarLong and VarInt over their whole range, and decodes them back", () => {
    const coder = rowCoder(numbers);
    const int64 = fc.oneof(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.bigInt({ min: -(1n << 20n), max: 1n << 56n }));
    fc.assert(
      fc.property(int64, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.option(int64), fc.option(fc.string()), (a, b, c, d) => {
        const row = { a, b, c, d };
        const bytes = encodeToBytes(coder, row);
        const nulls = (c === null ? 4 : 0) | (d === null ? 8 : 0);
        const expected = "04" + (nulls === 0 ? "00" : "01" + nulls.toString(16).padStart(2, "0")) + varint(a, 64) + varint(BigInt(b), 32) + (c === null ? "" : varint(c, 64));
        expect(hex(bytes).startsWith(expected)).toBe(true);
        expect(decodeFromBytes(coder, bytes)).toEqual(row);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads an int32 written in the sign-extended ten-byte form of older SDKs", () => {
    const coder = rowCoder({ fields: [{ name: "b", type: { kind: "atomic", type: "INT32" } }] });
    for (const b of [-1, -(2 ** 31), -12345]) {
      const bytes = Buffer.from("0100" + varint(BigInt(b), 64), "hex");
      expect(decodeFromBytes(coder, new Uint8Array(bytes))).toEqual({ b });
    }
  });
});

