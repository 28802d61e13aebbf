import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortByteStrings, type ByteStrings } from "./prefix-sort.js";

/** The strings packed into one array, as a GroupTable holds them. */
function packed(strings: readonly Uint8Array[]): ByteStrings {
  const bytes = new Uint8Array(strings.reduce((n, s) => n + s.length, 0));
  const starts = new Float64Array(strings.length);
  const lengths = new Int32Array(strings.length);
  let at = 0;
  strings.forEach((s, i) => {
    bytes.set(s, at);
    starts[i] = at;
    lengths[i] = s.length;
    at += s.length;
  });
  return { bytes, starts, lengths, count: strings.length };
}

/** Byte order, then index: what the sort must give. */
function expectedOrder(strings: readonly Uint8Array[]): number[] {
  return strings.map((_, i) => i).sort((a, b) => Buffer.compare(strings[a]!, strings[b]!) || a - b);
}

describe("sortByteStrings", () => {
  it("orders byte strings as Buffer.compare does, equal ones by index, whatever their bytes and shared prefixes", () => {
    // Few distinct bytes and long shared prefixes: ties at every depth, strings that end inside a digit group, zeros.
    const string = fc.oneof(
      fc.uint8Array({ maxLength: 12 }).map((b) => b.map((x) => x % 3)),
      fc.tuple(fc.constantFrom("key-", "key-1", ""), fc.nat(300)).map(([p, n]) => Buffer.from(`${p}${n}`)),
      fc.uint8Array({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(string, { maxLength: 300 }), (strings) => {
        expect([...sortByteStrings(packed(strings))]).toEqual(expectedOrder(strings));
      }),
      { numRuns: 300 },
    );
  });

  it("sorts strings longer than one pass of digits that differ only in their last byte", () => {
    const strings = Array.from({ length: 50 }, (_, i) => Uint8Array.from([...new Array<number>(40).fill(7), 49 - i]));
    expect([...sortByteStrings(packed(strings))]).toEqual(expectedOrder(strings));
  });
});
