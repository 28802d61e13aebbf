import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstInvalidUtf8Offset } from "../files/index.js";
import { Utf8StreamCheck } from "./utf8-stream-check.js";

/** The first offset the check reports for `bytes` cut into chunks at `cuts`, or -1. */
function checkInChunks(bytes: Buffer, cuts: number[]): number {
  const check = new Utf8StreamCheck();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    const bad = check.write(bytes.subarray(from, to));
    if (bad >= 0) return bad;
    from = to;
  }
  return check.end();
}

describe("Utf8StreamCheck", () => {
  it("finds a sequence cut by the end of the stream, and none in a multi-byte character cut by chunks", () => {
    const euro = Buffer.from("a€b"); // € is e2 82 ac
    expect(checkInChunks(euro, [2, 3])).toBe(-1);
    expect(checkInChunks(Buffer.from([0x61, 0xe2, 0x82]), [2])).toBe(1);
    expect(checkInChunks(Buffer.from([0x61, 0x62, 0xe9, 0x63]), [1])).toBe(2);
  });

  it("reports the first bad byte of the whole stream wherever the chunks are cut (property)", () => {
    const unit = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 4 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (parts, cuts) => {
        const bytes = Buffer.concat(parts);
        expect(checkInChunks(bytes, cuts)).toBe(firstInvalidUtf8Offset(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
