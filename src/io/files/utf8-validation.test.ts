import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstInvalidUtf8Offset } from "./utf8-validation.js";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decodes(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Bytes that are mostly valid UTF-8 with a few random bytes mixed in, so both outcomes occur. */
const mostlyUtf8 = fc
  .tuple(fc.string({ unit: "binary", maxLength: 30 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }))
  .map(([s, flips]) => {
    const bytes = Buffer.from(s, "utf8");
    for (const [at, b] of flips) if (bytes.length > 0) bytes[at % bytes.length] = b;
    return bytes;
  });

describe("firstInvalidUtf8Offset", () => {
  it("agrees with a fatal TextDecoder, and everything before the offset it reports decodes", () => {
    fc.assert(
      fc.property(fc.oneof(mostlyUtf8, fc.uint8Array({ maxLength: 12 })), (bytes) => {
        const at = firstInvalidUtf8Offset(bytes);
        expect(at === -1).toBe(decodes(bytes));
        if (at >= 0) {
          expect(decodes(bytes.subarray(0, at))).toBe(true);
          // No valid sequence starts at the reported byte (it cannot be cut there and decode).
          expect(decodes(bytes.subarray(0, at + 4 > bytes.length ? bytes.length : at + 4))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("names the first bad byte: a lone continuation byte, an overlong form, a surrogate, a cut sequence", () => {
    expect(firstInvalidUtf8Offset(Buffer.from("abc"))).toBe(-1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0x80]))).toBe(1);
    expect(firstInvalidUtf8Offset(Buffer.from([0xc0, 0xaf]))).toBe(0);
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2);
    expect(firstInvalidUtf8Offset(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
  });
});
