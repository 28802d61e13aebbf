import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter } from "./byte-buffer.js";

/** Beam's varint of a non-negative safe integer, by the definition (7 bits a byte, low first). */
function referenceVarInt(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** StringUtf8Coder's bytes by the definition: TextEncoder's UTF-8 (lone surrogates as U+FFFD), varint length first when nested. */
function referenceUtf8(s: string, lengthPrefixed: boolean): Uint8Array {
  const utf8 = new TextEncoder().encode(s);
  return lengthPrefixed ? Buffer.concat([Uint8Array.from(referenceVarInt(utf8.length)), utf8]) : utf8;
}

/**
 * Strings for every path of writeUtf8 and readUtf8: ASCII ones short and long (the loops and
 * the native calls), non-ASCII characters anywhere (BMP, astral, lone surrogates of both
 * halves), and lengths where the byte length needs a longer varint than the character count
 * (64 to 127 characters of two-byte UTF-8 are 128 to 254 bytes), so the bytes move.
 */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: fc.constantFrom("a", "Z", "~", "\u007f", "\u0080", "é", "€", "\uffff", "😀", "\ud800", "\udfff"), maxLength: 200 }),
  fc.string({ unit: fc.constantFrom("a", "b", " "), maxLength: 300 }),
  fc.integer({ min: 40, max: 130 }).chain((n) => fc.string({ unit: fc.constantFrom("é", "€", "a"), minLength: n, maxLength: n })),
);

describe("BufferWriter.writeUtf8 and BufferReader.readUtf8", () => {
  it("write exactly the UTF-8 bytes (and varint byte length) TextEncoder gives, after any earlier bytes and across buffer growth", () => {
    fc.assert(
      fc.property(text, fc.boolean(), fc.uint8Array({ maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (s, lengthPrefixed, before, capacity) => {
        const w = new BufferWriter(capacity);
        w.writeBytes(before);
        w.writeUtf8(s, lengthPrefixed);
        w.writeByte(0xab); // a later write lands right after the string
        const expected = Buffer.concat([before, referenceUtf8(s, lengthPrefixed), Uint8Array.of(0xab)]);
        expect(Buffer.from(w.finish())).toEqual(expected);
      }),
    );
  });

  it("read back the string, with lone surrogates as U+FFFD, from any offset", () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (strings) => {
        const w = new BufferWriter(8);
        for (const s of strings) w.writeUtf8(s, true);
        const r = new BufferReader(w.finishPooled());
        for (const s of strings) expect(r.readUtf8(r.readVarInt())).toBe(Buffer.from(s, "utf8").toString("utf8"));
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it("decode any bytes, malformed UTF-8 included, as Node's UTF-8 decoder does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 3 }), (bytes, before) => {
        const input = Uint8Array.from([...before, ...bytes]);
        const r = new BufferReader(input);
        r.readBytes(before.length);
        expect(r.readUtf8(bytes.length)).toBe(Buffer.from(bytes).toString("utf8"));
      }),
    );
  });

  it("write a string whose length prefix outgrows its character count at the 2- and 3-byte varint limits", () => {
    // 8,192 two-byte characters: a 2-byte varint for the characters, 3 for the 16,384 bytes.
    for (const s of ["é".repeat(64), "€".repeat(43), "é".repeat(8192), `${"a".repeat(127)}é`]) {
      const w = new BufferWriter();
      w.writeUtf8(s, true);
      expect(Buffer.from(w.finish())).toEqual(Buffer.from(referenceUtf8(s, true)));
    }
  });

  it("write a string of over a million characters, measured rather than given room for 3 bytes each", () => {
    const s = `${"x".repeat(1 << 20)}€\ud800`;
    const w = new BufferWriter();
    w.writeUtf8(s, true);
    const bytes = w.finish();
    expect(Buffer.compare(bytes, referenceUtf8(s, true))).toBe(0);
    const r = new BufferReader(bytes);
    expect(r.readUtf8(r.readVarInt()) === `${"x".repeat(1 << 20)}€\ufffd`).toBe(true);
  });
});

describe("BufferWriter.writeVarInt", () => {
  it("writes Beam's varint of any non-negative safe integer, on both sides of 2^32", () => {
    const n = fc.oneof(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 2 ** 33 }), fc.maxSafeNat(), fc.constantFrom(0x7f, 0x80, 0xffffffff, 2 ** 32, Number.MAX_SAFE_INTEGER));
    fc.assert(
      fc.property(n, (v) => {
        const w = new BufferWriter(1);
        w.writeVarInt(v);
        expect([...w.finish()]).toEqual(referenceVarInt(v));
        expect(new BufferReader(w.finish()).readVarInt()).toBe(v);
      }),
    );
  });
});
