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
});
