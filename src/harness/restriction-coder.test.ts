import { describe, expect, it } from "vitest";
import { coderFromSpec, decodeFromBytes, encodeToBytes, CoderUrns } from "../coders/index.js";
import { OffsetRange, UNBOUNDED_OFFSET } from "../transforms/index.js";
import { harnessCoder, restrictionCoder } from "./restriction-coder.js";

describe("restrictionCoder", () => {
  it("round-trips OffsetRanges exactly, up to the unbounded end, as OffsetRange instances", () => {
    for (const r of [new OffsetRange(0, 0), new OffsetRange(3, 17), new OffsetRange(123_456_789, UNBOUNDED_OFFSET)]) {
      const back = decodeFromBytes(restrictionCoder, encodeToBytes(restrictionCoder, r, true), true);
      expect(back).toBeInstanceOf(OffsetRange);
      expect(back).toEqual(r);
    }
  });

  it("round-trips plain data restrictions with the JS value coder, nested among other values", () => {
    const kvOfRestrictions = coderFromSpec(
      { urn: CoderUrns.kv, components: [{ urn: CoderUrns.sdfRestriction }, { urn: CoderUrns.sdfRestriction }] },
      { resolve: harnessCoder },
    );
    const value = { key: { offset: 5, partition: "p-1" }, value: new OffsetRange(1, 2) };
    expect(decodeFromBytes(kvOfRestrictions, encodeToBytes(kvOfRestrictions, value, true), true)).toEqual(value);
  });

  it("fails clearly on bytes it did not write", () => {
    expect(() => decodeFromBytes(restrictionCoder, new Uint8Array([7]), true)).toThrow(/unknown tag 7/);
  });
});
