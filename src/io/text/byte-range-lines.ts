import type { FileHandle } from "node:fs/promises";
import type { OffsetRange, RestrictionTracker } from "../../transforms/index.js";

/** Bytes read per positioned read. */
export const READ_CHUNK_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Positioned reads of a byte sequence (a file): copies up to `length` bytes at `position`
 * into `buffer[offset..]`, resolving to the number of bytes copied (0 at or past the end).
 */
export interface PositionedSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
}

/** A PositionedSource over an open file (`FileHandle.read`). */
export function fileSource(handle: FileHandle): PositionedSource {
  return {
    read: async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
  };
}

/** A PositionedSource over bytes in memory (tests). */
export function bufferSource(bytes: Uint8Array): PositionedSource {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    read: (buffer, offset, length, position) =>
      Promise.resolve(position >= data.length ? 0 : data.copy(buffer, offset, position, Math.min(data.length, position + length))),
  };
}

/** One line read from a byte range: its text and the byte offset where it starts. */
export interface LineAt {
  /** Byte offset of the line's first byte (0 for the first line, BOM included). */
  readonly offset: number;
  readonly text: string;
}

/**
 * Reads lines of a source forward from a position, with a bounded buffer: one chunk, or
 * the longest line when that is longer. Lines end at LF, CRLF or CR (a CR at the end of a
 * chunk waits for the next byte); a UTF-8 BOM at offset 0 is not part of the first line's
 * text; a last line without terminator is a line; nothing after a final terminator is.
 */
export class LineScanner {
  private buf: Buffer;
  /** File position of `buf[0]`. */
  private bufStart = 0;
  /** Valid bytes in `buf`. */
  private len = 0;
  /** File position of the next line's first byte. */
  private pos = 0;
  private eof = false;

  constructor(
    private readonly source: PositionedSource,
    chunkBytes = READ_CHUNK_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(1, chunkBytes));
  }

  /** Where the next line starts (after `next`, the position after its terminator). */
  get position(): number {
    return this.pos;
  }

  /** Moves to `position`, dropping what is buffered. */
  seek(position: number): void {
    this.pos = position;
    this.bufStart = position;
    this.len = 0;
    this.eof = false;
  }

  /**
   * Reads the line starting at `position` and moves past its terminator. Resolves to its
   * offset and text (`undefined` text when `decode` is false), or `undefined` at the end.
   */
  async next(decode: boolean): Promise<{ offset: number; text: string | undefined } | undefined> {
    const offset = this.pos;
    let textStart = offset;
    if (offset === 0) {
      // A UTF-8 BOM at the very start of the file is not text (the line still starts at 0).
      while (this.len < 3 && !this.eof) await this.fill();
      const b = this.buf;
      if (this.len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) textStart = 3;
    }
    let scan = textStart; // absolute position of the next byte to look at
    for (;;) {
      const end = this.bufStart + this.len;
      const b = this.buf;
      let i = scan - this.bufStart;
      while (i < this.len) {
        const c = b[i]!;
        if (c === LF || c === CR) break;
        i++;
      }
      scan = this.bufStart + i;
      if (i < this.len) {
        let terminator = 1;
        if (b[i] === CR) {
          if (i + 1 >= this.len && !this.eof) {
            await this.fill(); // is the CR followed by an LF?
            continue;
          }
          if (i + 1 < this.len && b[i + 1] === LF) terminator = 2;
        }
        const text = decode ? this.decode(textStart, scan) : undefined;
        this.pos = scan + terminator;
        return { offset, text };
      }
      if (this.eof) {
        if (end <= offset) return undefined;
        if (end === textStart) {
          // A file holding only a BOM has no line.
          this.pos = end;
          return undefined;
        }
        const text = decode ? this.decode(textStart, end) : undefined;
        this.pos = end;
        return { offset, text };
      }
      await this.fill();
    }
  }

  private decode(from: number, to: number): string {
    return this.buf.toString("utf8", from - this.bufStart, to - this.bufStart);
  }

  /** Drops bytes before `pos`, grows the buffer when full, and reads one more chunk. */
  private async fill(): Promise<void> {
    const drop = this.pos - this.bufStart;
    if (drop > 0) {
      this.buf.copy(this.buf, 0, drop, this.len);
      this.len -= drop;
      this.bufStart = this.pos;
    }
    if (this.len === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const n = await this.source.read(this.buf, this.len, this.buf.length - this.len, this.bufStart + this.len);
    if (n <= 0) this.eof = true;
    else this.len += n;
  }
}

/** Options of readLinesInRange. */
export interface RangeReadOptions {
  /** Lines at the start of the file that are never output (a header). Default 0. */
  readonly skipHeaderLines?: number;
  /** Bytes per positioned read. Default 64 KiB. */
  readonly chunkBytes?: number;
}

/**
 * Reads the lines of the byte range held by `tracker`, as Beam's TextSource: a line
 * belongs to the range in which it *starts*. A range `[a, b)` with `a > 0` first skips
 * through the first line terminator at or after `a - 1` (so a line starting exactly at `a`
 * is kept: the terminator just before it is at `a - 1`); then each line's start offset is
 * claimed with `tracker.tryClaim` before the line is passed to `emit`, stopping at the
 * first failed claim (a start `>= b`, or a checkpoint). The last line may extend past `b`.
 * At the end of the file the end (or the range's end, if larger) is claimed, so
 * `checkDone` passes. The first `skipHeaderLines` lines of the file are never output;
 * a range starting inside them starts at the first line after them.
 */
export async function readLinesInRange(
  source: PositionedSource,
  tracker: RestrictionTracker<OffsetRange, number>,
  emit: (line: LineAt) => void | Promise<void>,
  options: RangeReadOptions = {},
): Promise<void> {
  const from = tracker.currentRestriction().from;
  const scanner = new LineScanner(source, options.chunkBytes);
  const header = options.skipHeaderLines ?? 0;
  scanner.seek(0);
  for (let i = 0; i < header; i++) if ((await scanner.next(false)) === undefined) break;
  const headerEnd = scanner.position;
  if (from > headerEnd) {
    scanner.seek(from - 1);
    await scanner.next(false); // the line holding byte from - 1 belongs to an earlier range
  }
  for (;;) {
    const line = await scanner.next(true);
    if (line === undefined) {
      tracker.tryClaim(Math.max(scanner.position, tracker.currentRestriction().to));
      return;
    }
    if (!tracker.tryClaim(line.offset)) return;
    await emit({ offset: line.offset, text: line.text! });
  }
}

/**
 * The 1-based number of the line starting at byte `offset` (a line start), counting every
 * line from the file's start. `from` may give a known earlier line start and its number.
 */
export async function lineNumberAt(
  source: PositionedSource,
  offset: number,
  from: { readonly offset: number; readonly line: number } = { offset: 0, line: 1 },
): Promise<number> {
  const scanner = new LineScanner(source);
  scanner.seek(from.offset);
  let line = from.line;
  while (scanner.position < offset && (await scanner.next(false)) !== undefined) line++;
  return line;
}
