import type { OffsetRange, RestrictionTracker } from "../../transforms/index.js";
import { invalidUtf8In, type InvalidUtf8 } from "./invalid-utf8.js";

/** Bytes read per positioned read. */
export const READ_CHUNK_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Positioned reads of a byte sequence (a file): copies up to `length` bytes at `position`
 * into `buffer[offset..]`, resolving to the number of bytes copied (0 at or past the end).
 * A file system's ReadableFile (src/io/filesystems) is one.
 */
export interface PositionedSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
}

/** A PositionedSource over bytes in memory (tests). */
export function bufferSource(bytes: Uint8Array): PositionedSource {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    read: (buffer, offset, length, position) =>
      Promise.resolve(position >= data.length ? 0 : data.copy(buffer, offset, position, Math.min(data.length, position + length))),
  };
}

/**
 * A PositionedSource over a stream read front to back (a decompressed file): positions
 * count the stream's bytes, and reads must come in order, as LineScanner makes them when
 * it only moves forward (no `seek`).
 */
export function streamSource(chunks: AsyncIterable<Uint8Array | string>): PositionedSource {
  const it = chunks[Symbol.asyncIterator]();
  let chunk: Buffer = Buffer.alloc(0);
  let next = 0; // stream position of chunk[0]
  return {
    async read(buffer, offset, length, position) {
      if (position !== next) throw new Error(`Internal: a stream is read forward only (read at byte ${position}, next is ${next}).`);
      while (chunk.length === 0) {
        const r = await it.next();
        if (r.done === true) return 0;
        const v = r.value;
        chunk = typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
      const n = chunk.copy(buffer, offset, 0, Math.min(length, chunk.length));
      chunk = chunk.subarray(n);
      next += n;
      return n;
    },
  };
}

/** A line found by LineScanner: where it starts, and its text when decoded. */
export interface ScannedLine {
  readonly offset: number;
  readonly text: string | undefined;
  /** Set when the decoded line's bytes are not valid UTF-8 (its text then holds U+FFFD). */
  readonly invalid?: InvalidUtf8;
}

/** LineScanner.tryNext: the line is not all buffered yet. */
export const MORE: unique symbol = Symbol("more");

/** One line read from a byte range: its text and the byte offset where it starts. */
export interface LineAt {
  /** Byte offset of the line's first byte (0 for the first line, BOM included). */
  readonly offset: number;
  /** The decoded text; an ill-formed UTF-8 sequence reads as U+FFFD. */
  readonly text: string;
  /** Set when the line's bytes are not valid UTF-8. */
  readonly invalid?: InvalidUtf8;
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
  /** Bytes before this position (and at or after `pos`) hold no terminator. */
  private scanned = 0;
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
    this.scanned = position;
    this.bufStart = position;
    this.len = 0;
    this.eof = false;
  }

  /**
   * Reads the line starting at `position` and moves past its terminator. Resolves to its
   * offset and text (`undefined` text when `decode` is false), or `undefined` at the end.
   */
  async next(decode: boolean): Promise<ScannedLine | undefined> {
    for (;;) {
      const line = this.tryNext(decode);
      if (line !== MORE) return line;
      await this.readMore();
    }
  }

  /**
   * As `next`, without waiting: MORE when the line is not all buffered yet (call
   * `readMore`, then again). Most lines are found without a promise.
   */
  tryNext(decode: boolean): ScannedLine | undefined | typeof MORE {
    const offset = this.pos;
    const b = this.buf;
    const len = this.len;
    const bufStart = this.bufStart;
    let textStart = offset;
    if (offset === 0) {
      // A UTF-8 BOM at the very start of the file is not text (the line still starts at 0).
      if (len < 3 && !this.eof) return MORE;
      if (len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) textStart = 3;
    }
    // Resume where the last attempt at this line stopped (a line may span several reads).
    let i = Math.max(textStart, this.scanned) - bufStart;
    while (i < len) {
      const c = b[i]!;
      if (c === LF || c === CR) break;
      i++;
    }
    if (i < len) {
      let terminator = 1;
      if (b[i] === CR) {
        if (i + 1 >= len && !this.eof) {
          this.scanned = bufStart + i; // is the CR followed by an LF?
          return MORE;
        }
        if (i + 1 < len && b[i + 1] === LF) terminator = 2;
      }
      this.pos = this.scanned = bufStart + i + terminator;
      return this.line(offset, textStart - bufStart, i, decode);
    }
    const end = bufStart + len;
    if (!this.eof) {
      this.scanned = end;
      return MORE;
    }
    if (end <= offset) return undefined;
    this.pos = this.scanned = end;
    // A file holding only a BOM has no line.
    if (end === textStart) return undefined;
    return this.line(offset, textStart - bufStart, len, decode);
  }

  /**
   * The line held by `buf[from, to)`. A line is always decoded whole (terminators are
   * ASCII, never inside a multi-byte character), so a character split across reads or
   * byte ranges is never seen as invalid.
   */
  private line(offset: number, from: number, to: number, decode: boolean): ScannedLine {
    if (!decode) return { offset, text: undefined };
    const text = this.buf.toString("utf8", from, to);
    const invalid = invalidUtf8In(this.buf, from, to, this.bufStart + from, text);
    return invalid === undefined ? { offset, text } : { offset, text, invalid };
  }

  /** Drops bytes before `pos`, grows the buffer when full, and reads one more chunk. */
  async readMore(): Promise<void> {
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
    let line = scanner.tryNext(true);
    while (line === MORE) {
      await scanner.readMore();
      line = scanner.tryNext(true);
    }
    if (line === undefined) {
      tracker.tryClaim(Math.max(scanner.position, tracker.currentRestriction().to));
      return;
    }
    if (!tracker.tryClaim(line.offset)) return;
    const pending = emit(line as LineAt);
    if (pending !== undefined) await pending;
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
