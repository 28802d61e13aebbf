import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffsetRange, OffsetRangeTracker, type RestrictionTracker, type SplitResult } from "../../transforms/index.js";
import { bufferSource, lineNumberAt, readLinesInRange, type LineAt } from "./byte-range-lines.js";
import { splitLines } from "./lines.js";
import { MIN_SPLIT_BYTES, ReadFileLinesFn, type TextFile } from "./read-file-fn.js";
import { resolveReadOptions } from "./read-text.js";

/** The lines of the whole content, as the stream splitter (today's readText) sees them. */
async function referenceLines(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  async function* one() {
    yield Buffer.from(bytes);
  }
  for await (const line of splitLines(one())) out.push(line);
  return out;
}

/** Splits [0, size) at the given offsets. */
function piecesAt(size: number, cuts: readonly number[]): OffsetRange[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < size))].sort((a, b) => a - b);
  const bounds = [0, ...points, size];
  const pieces: OffsetRange[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) pieces.push(new OffsetRange(bounds[i]!, bounds[i + 1]!));
  return pieces;
}

/** Checkpoints like the embedded runner: after `every` claims, split at fraction 0. */
class CheckpointEvery implements RestrictionTracker<OffsetRange, number> {
  checkpoint: SplitResult<OffsetRange> | undefined;
  private claims = 0;
  constructor(
    readonly inner: OffsetRangeTracker,
    readonly every: number,
  ) {}
  tryClaim(position: number): boolean {
    if (this.checkpoint === undefined && ++this.claims > this.every) this.checkpoint = this.inner.trySplit(0);
    return this.inner.tryClaim(position);
  }
  currentRestriction(): OffsetRange {
    return this.inner.currentRestriction();
  }
  trySplit(fraction: number): SplitResult<OffsetRange> | undefined {
    return this.inner.trySplit(fraction);
  }
  checkDone(): void {
    this.inner.checkDone();
  }
  isBounded(): boolean {
    return true;
  }
}

async function readPiece(bytes: Uint8Array, range: OffsetRange, options: { skipHeaderLines: number; chunkBytes: number }): Promise<LineAt[]> {
  const out: LineAt[] = [];
  const tracker = new OffsetRangeTracker(range);
  await readLinesInRange(bufferSource(bytes), tracker, (l) => void out.push(l), options);
  tracker.checkDone();
  return out;
}

const token = fc.constantFrom("a", "b", "é", "€", "😀", " ", "\n", "\r", "\r\n", "\n\n");
const content = fc
  .record({ bom: fc.boolean(), tokens: fc.array(token, { maxLength: 60 }), trailing: fc.constantFrom("", "\n", "\r", "\r\n") })
  .map(({ bom, tokens, trailing }) => Buffer.from((bom ? "\uFEFF" : "") + tokens.join("") + trailing, "utf8"));

describe("readLinesInRange", () => {
  it("reads every line exactly once, in order, over any split into byte ranges", async () => {
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.array(fc.nat({ max: 400 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 0, max: 3 }),
        async (bytes, cuts, chunkBytes, skipHeaderLines) => {
          const expected = (await referenceLines(bytes)).slice(skipHeaderLines);
          const got: string[] = [];
          for (const piece of piecesAt(bytes.length, cuts)) {
            const lines = await readPiece(bytes, piece, { skipHeaderLines, chunkBytes });
            // Each line belongs to the range where it starts; offsets increase within a piece.
            for (const [i, l] of lines.entries()) {
              expect(piece.contains(l.offset)).toBe(true);
              if (i > 0) expect(l.offset).toBeGreaterThan(lines[i - 1]!.offset);
            }
            got.push(...lines.map((l) => l.text));
          }
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("resumes a checkpointed range at the next line (residuals read the rest exactly once)", async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), async (bytes, every, chunkBytes) => {
        const expected = await referenceLines(bytes);
        const got: string[] = [];
        const pending = bytes.length === 0 ? [] : [new OffsetRange(0, bytes.length)];
        for (let r = pending.shift(); r !== undefined; r = pending.shift()) {
          const tracker = new CheckpointEvery(new OffsetRangeTracker(r), every);
          await readLinesInRange(bufferSource(bytes), tracker, (l) => void got.push(l.text), { chunkBytes });
          if (tracker.checkpoint !== undefined) pending.push(tracker.checkpoint.residual);
          else tracker.checkDone();
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a line starting exactly at the range start, and splits CRLF straddling a boundary once", async () => {
    const bytes = Buffer.from("ab\ncd\r\nef\rgh");
    const read = async (from: number, to: number) =>
      (await readPiece(bytes, new OffsetRange(from, to), { skipHeaderLines: 0, chunkBytes: 2 })).map((l) => l.text);
    expect(await read(0, 3)).toEqual(["ab"]); // "cd" starts at 3
    expect(await read(3, 12)).toEqual(["cd", "ef", "gh"]);
    // Boundary between CR (5) and LF (6): no empty line, nothing lost.
    expect([...(await read(0, 6)), ...(await read(6, 12))]).toEqual(["ab", "cd", "ef", "gh"]);
    expect([...(await read(0, 7)), ...(await read(7, 12))]).toEqual(["ab", "cd", "ef", "gh"]);
    // A range holding no line start still finishes (checkDone passes).
    expect(await read(4, 6)).toEqual([]);
  });

  it("drops the BOM only at the file start and skips header lines only once", async () => {
    const bytes = Buffer.from("\uFEFFh1\nh2\n\uFEFFx\ny\n");
    const pieces = piecesAt(bytes.length, [2, 5, 9]);
    const got: string[] = [];
    for (const p of pieces) got.push(...(await readPiece(bytes, p, { skipHeaderLines: 2, chunkBytes: 3 })).map((l) => l.text));
    expect(got).toEqual(["\uFEFFx", "y"]);
    expect((await readPiece(Buffer.from("\uFEFF"), new OffsetRange(0, 3), { skipHeaderLines: 0, chunkBytes: 64 })).length).toBe(0);
  });

  it("numbers lines from a byte offset", async () => {
    const bytes = Buffer.from("a\r\nb\rc\n\nd");
    const src = bufferSource(bytes);
    expect(await lineNumberAt(src, 0)).toBe(1);
    expect(await lineNumberAt(src, 3)).toBe(2);
    expect(await lineNumberAt(src, 5)).toBe(3);
    expect(await lineNumberAt(src, 8)).toBe(5);
    expect(await lineNumberAt(src, 8, { offset: 5, line: 3 })).toBe(5);
  });
});

describe("ReadFileLinesFn restrictions", () => {
  const fn = new ReadFileLinesFn(resolveReadOptions("test", "x"), (_f, l) => l.text);
  const file = (size: number, path = "/data/f.txt"): TextFile => ({ path, size });

  it("splits a large file into byte ranges that cover it, and keeps a small file whole", () => {
    const big = file(1_000_000);
    const pieces = fn.splitRestriction(big, fn.getInitialRestriction(big), 4);
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces[0]!.from).toBe(0);
    expect(pieces.at(-1)!.to).toBe(1_000_000);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.from).toBe(pieces[i - 1]!.to);
    for (const p of pieces) expect(p.size).toBeGreaterThanOrEqual(MIN_SPLIT_BYTES);
    expect(pieces.reduce((s, p) => s + fn.getSize(big, p), 0)).toBe(1_000_000);

    const small = file(100_000);
    expect(fn.splitRestriction(small, fn.getInitialRestriction(small), 4)).toEqual([new OffsetRange(0, 100_000)]);
    expect(fn.splitRestriction(file(0), fn.getInitialRestriction(file(0)), 4)).toEqual([]);
  });

  it("keeps a compressed file as one unsplittable restriction", () => {
    const gz = file(5_000_000, "/data/f.txt.gz");
    const r = fn.getInitialRestriction(gz);
    expect(fn.splitRestriction(gz, r, 4)).toEqual([r]);
    expect(fn.getSize(gz, r)).toBe(5_000_000);
    const tracker = fn.newTracker(gz, r);
    expect(tracker.tryClaim(0)).toBe(true);
    expect(tracker.trySplit(0)).toBeUndefined();
    expect(tracker.trySplit(0.5)).toBeUndefined();
  });
});
