import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffsetRange, OffsetRangeTracker } from "../../transforms/index.js";
import { bufferSource, readLinesInRange, type LineAt } from "./byte-range-lines.js";
import { firstInvalidUtf8 } from "./invalid-utf8.js";
import { streamLines } from "./lines.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

function isValid(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The lines of a whole file as an independent reference: decode all (U+FFFD), drop a BOM, split. */
function referenceLines(bytes: Uint8Array): string[] {
  let text = lenient.decode(bytes);
  if (text.startsWith("\uFEFF") && bytes[0] === 0xef) text = text.slice(1);
  if (text.length === 0) return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (/(\r\n|\n|\r)$/.test(text)) lines.pop();
  return lines;
}

/** Cuts bytes into chunks at the given points (a character may be cut anywhere). */
async function* chunksAt(bytes: Uint8Array, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  let from = 0;
  for (const p of [...points, bytes.length]) {
    yield bytes.slice(from, p);
    from = p;
  }
}

async function streamed(bytes: Uint8Array, cuts: readonly number[]): Promise<LineAt[]> {
  const out: LineAt[] = [];
  for await (const line of streamLines(chunksAt(bytes, cuts))) out.push(line);
  return out;
}

/** Reads every piece of [0, size) cut at `cuts` with `chunkBytes` reads, in file order. */
async function ranged(bytes: Uint8Array, cuts: readonly number[], chunkBytes: number): Promise<LineAt[]> {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const bounds = [0, ...points, bytes.length];
  const out: LineAt[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const tracker = new OffsetRangeTracker(new OffsetRange(bounds[i]!, bounds[i + 1]!));
    await readLinesInRange(bufferSource(bytes), tracker, (l) => void out.push(l), { chunkBytes });
    tracker.checkDone();
  }
  return out;
}

// Text tokens: multi-byte characters of every length, terminators, a real U+FFFD.
const token = fc.constantFrom("a", "é", "€", "😀", "\uFFFD", "\u0800", "\uFFFF", "\n", "\r", "\r\n", " ");
const validFile = fc
  .record({ bom: fc.boolean(), tokens: fc.array(token, { maxLength: 80 }) })
  .map(({ bom, tokens }) => Buffer.from((bom ? "\uFEFF" : "") + tokens.join(""), "utf8"));
const cuts = fc.array(fc.nat({ max: 400 }), { maxLength: 12 });

// Ill-formed sequences: invalid wherever they start at a character boundary and are
// followed by a character boundary (a lead byte, ASCII, or the end).
const badToken = fc.constantFrom(
  [0xff],
  [0x80], // a lone continuation byte
  [0xc3], // a 2-byte lead without its continuation
  [0xe2, 0x82], // "€" cut short
  [0xf0, 0x9f, 0x98], // "😀" cut short
  [0xed, 0xa0, 0x80], // a surrogate
  [0xc0, 0xaf], // an overlong "/"
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
);

// Bytes biased to the edges of Table 3-7 (overlongs, surrogates, > U+10FFFF), which uniform bytes rarely hit.
const edgeByte = fc.constantFrom(0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff);
const bytesNearBoundaries = fc.array(fc.oneof(edgeByte, fc.integer({ min: 0, max: 255 })), { maxLength: 12 }).map((a) => Uint8Array.from(a));

describe("firstInvalidUtf8", () => {
  it("finds the first byte where WHATWG decoding first replaces, and nothing in valid UTF-8", () => {
    fc.assert(
      fc.property(bytesNearBoundaries, (bytes) => {
        const at = firstInvalidUtf8(bytes);
        expect(at === -1).toBe(isValid(bytes));
        if (at >= 0) {
          // Everything before is valid, and decoding replaces right after it.
          expect(isValid(bytes.subarray(0, at))).toBe(true);
          expect(lenient.decode(bytes).startsWith(lenient.decode(bytes.subarray(0, at)) + "\uFFFD")).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe("invalid UTF-8 detection in the line readers", () => {
  it("never flags valid UTF-8 cut anywhere by chunks or byte ranges, and reads the same lines", async () => {
    await fc.assert(
      fc.asyncProperty(validFile, cuts, fc.integer({ min: 1, max: 9 }), async (bytes, at, chunkBytes) => {
        const expected = referenceLines(bytes);
        const s = await streamed(bytes, at);
        expect(s.map((l) => l.text)).toEqual(expected);
        expect(s.filter((l) => l.invalid !== undefined)).toEqual([]);
        const r = await ranged(bytes, at, chunkBytes);
        expect(r.map((l) => l.text)).toEqual(expected);
        expect(r.filter((l) => l.invalid !== undefined)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("flags the one line holding inserted bad bytes, at their file offset, however the file is cut", async () => {
    await fc.assert(
      fc.asyncProperty(
        validFile,
        fc.nat(),
        badToken,
        cuts,
        fc.integer({ min: 1, max: 9 }),
        async (valid, where, bad, at, chunkBytes) => {
          // Insert at a character boundary (never inside the BOM or a multi-byte character).
          const boundaries = [...valid.keys(), valid.length].filter((i) => (i >= 3 || valid[0] !== 0xef || i === 0) && (valid[i] ?? 0) >> 6 !== 2);
          const p = boundaries[where % boundaries.length]!;
          const bytes = Buffer.concat([valid.subarray(0, p), Buffer.from(bad), valid.subarray(p)]);
          // A BOM cut by the insertion is no BOM: its bytes are invalid from 0.
          const expectedAt = p > 0 && p < 3 && valid[0] === 0xef ? 0 : p;
          for (const lines of [await streamed(bytes, at), await ranged(bytes, at, chunkBytes)]) {
            expect(lines.map((l) => l.text)).toEqual(referenceLines(bytes));
            const flagged = lines.filter((l) => l.invalid !== undefined);
            expect(flagged.map((l) => l.invalid!.at)).toEqual([expectedAt]);
            const line = flagged[0]!;
            const start = line.invalid!.at - line.invalid!.index;
            expect(Buffer.from(line.invalid!.bytes)).toEqual(bytes.subarray(start, start + line.invalid!.bytes.length));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("counts the BOM in offsets, and flags a cut BOM at byte 0", async () => {
    const withBom = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a, 0x62, 0xff, 0x0a]);
    const lines = await streamed(withBom, []);
    expect(lines.map((l) => [l.text, l.invalid?.at])).toEqual([
      ["a", undefined],
      ["b\uFFFD", 6],
    ]);
    const cutBom = Buffer.from([0xef, 0xbb, 0x0a, 0x61]);
    const cut = await ranged(cutBom, [], 64);
    expect(cut.map((l) => [l.text, l.invalid?.at])).toEqual([
      ["\uFFFD", 0],
      ["a", undefined],
    ]);
  });
});
