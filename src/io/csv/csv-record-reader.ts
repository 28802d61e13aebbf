import type { Parser } from "csv-parse";
import { TextIOError } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";
import { parserOptions, type CsvCells, type CsvParseModule } from "./csv-parser.js";
import type { CsvRecordText } from "./parse-csv-do-fn.js";

const LF = 10;
const CR = 13;

/** What csv-parse pushes with `raw: true`. */
interface RawRecord {
  readonly record: CsvCells;
  readonly raw: string;
}

/** A csv-parse error: a `CSV_…` (or `INVALID_…`) code and the parser-relative line it was found on. */
type CsvParseError = Error & { code?: string; lines?: number };

/**
 * Splits the bytes of one CSV file, given chunk by chunk, into records: the whole-file reader
 * (`splittable: false`), where quoted fields may hold line breaks, and the header reader.
 *
 * Records are parsed by csv-parse. csv-parse cannot recover from a malformed record: with
 * `skip_records_with_error` it carries on in whatever state the error left (inside a quote
 * that never closed, for instance) and so swallows good records that follow, reporting
 * only part of their text. This reader recovers itself, exactly: on a parse error it takes the
 * *first line* of the failing record as one bad record and starts a new csv-parse on the next
 * line, from the bytes it keeps since the last good record. Every line of the file thus ends
 * up in exactly one record, good or bad, and parsing resumes at the first line the error
 * could not have been part of. (A quoted field that really spans lines and then breaks gives
 * one bad record per line it covers that does not parse on its own; never a lost line.)
 *
 * `skipLines` skips physical lines, as byte-range reads do (csv-parse's `from_line` parses
 * quotes in the lines it skips, so a preamble line holding a quote would fail the file).
 *
 * Synchronous: `write` and `end` parse what they are given and leave the records in `take()`,
 * so the caller emits them between chunks with no promise per record.
 */
export class CsvRecordReader {
  private parser: Parser | undefined;
  private records: CsvRecordText[] = [];
  /** Bytes given to the current parser since the end of its last record (it may yet fail in them). */
  private pending: Buffer[] = [];
  /** The file offset of `pending[0]`. */
  private pendingStart = 0;
  /** The lines before the current parser's input (or before the next byte to take, while skipping). */
  private linesBefore = 0;
  /** The file offset after the current parser's last record, and the lines up to it. */
  private committed = 0;
  private committedLines = 0;
  /** The file offset of the next byte to take. */
  private offset = 0;
  /** Whole lines still to skip before parsing (skipLines, then the rest of a bad record's first line). */
  private skipping: number;
  /** The bad record whose first line is being skipped: its text so far and why it is bad. */
  private bad: { line: number; text: Buffer[]; error: string } | undefined;
  /** The last byte taken ended a line with CR: a LF right after belongs to the same terminator. */
  private afterCr = false;
  private ended = false;

  constructor(
    private readonly csv: CsvParseModule,
    private readonly file: string,
    private readonly dialect: CsvDialect,
    skipLines: number,
  ) {
    this.skipping = skipLines;
  }

  /** The records completed so far (in file order), handed over once. */
  take(): CsvRecordText[] {
    const out = this.records;
    if (out.length > 0) this.records = [];
    return out;
  }

  /** Parses the next chunk of the file. */
  write(chunk: Buffer): void {
    this.feed(chunk);
  }

  /** The file has ended: completes its last record (or bad line). */
  end(): void {
    this.ended = true;
    for (;;) {
      if (this.bad !== undefined) this.finishBadRecord();
      const parser = this.parser;
      if (parser === undefined) return;
      parser.end();
      const err = this.failure(parser);
      if (err === undefined) {
        if (this.parser === parser) this.parser = undefined;
        return;
      }
      this.feed(this.recover(err)); // ends with a new parser (or none) to end in turn
    }
  }

  /** Takes bytes in the current mode: skipping lines, or parsing (again from a bad record's next line, after each parse error). */
  private feed(bytes: Buffer): void {
    let buf = bytes;
    for (;;) {
      if (this.afterCr && buf.length > 0) {
        this.afterCr = false;
        if (buf[0] === LF) {
          buf = buf.subarray(1);
          this.offset++;
        }
      }
      buf = this.skip(buf);
      if (buf.length === 0) return;
      const parser = (this.parser ??= this.newParser());
      this.pending.push(buf);
      this.offset += buf.length;
      parser.write(buf);
      const err = this.failure(parser);
      if (err === undefined) break;
      buf = this.recover(err);
    }
    // Keep only the bytes of the record in progress: whole chunks before it are done with.
    while (this.pending.length > 1 && this.pendingStart + this.pending[0]!.length <= this.committed) {
      this.pendingStart += this.pending.shift()!.length;
    }
  }

  /** Skips the whole lines still to skip at the start of `buf`; returns the bytes after them (none while skipping). */
  private skip(bytes: Buffer): Buffer {
    let buf = bytes;
    while (this.skipping > 0 && buf.length > 0) {
      const end = lineEnd(buf, 0, this.ended);
      if (end === undefined) {
        this.bad?.text.push(buf);
        this.offset += buf.length;
        return buf.subarray(buf.length);
      }
      this.bad?.text.push(buf.subarray(0, end.at));
      this.afterCr = end.next === buf.length && buf[end.at] === CR;
      buf = buf.subarray(end.next);
      this.offset += end.next;
      this.linesBefore++;
      this.skipping--;
      if (this.bad !== undefined && this.skipping === 0) this.finishBadRecord();
    }
    return this.skipping > 0 ? buf.subarray(buf.length) : buf;
  }

  /** The error the parser stopped on, if any; loud if csv-parse ever stops parsing synchronously. */
  private failure(parser: Parser): CsvParseError | undefined {
    if (parser.errored !== null) return parser.errored as CsvParseError;
    if (parser.writableLength > 0) {
      throw new TextIOError(`readCsv: csv-parse did not parse "${this.file}" synchronously (a csv-parse or Node.js version beam-ts does not support).`);
    }
    return undefined;
  }

  private newParser(): Parser {
    const start = this.offset;
    const parser = this.csv.parseStream({ ...parserOptions(this.dialect, false), bom: start === 0, raw: true });
    this.committed = start;
    this.committedLines = this.linesBefore;
    this.pending = [];
    this.pendingStart = start;
    // csv-parse pushes each record synchronously as it ends, when `info.bytes` is the offset past
    // its terminator (its documented running state). The records are taken here, not from the
    // stream's readable side: that side discards what it holds when the parser fails, and the
    // records before a failure must not be lost. Lines are counted here from the raw text (CR,
    // LF and CRLF each end one line, as byte-range reads count them): csv-parse's `info.lines`
    // counts a CRLF inside a quoted field as two.
    parser.push = (chunk: unknown): boolean => {
      if (chunk === null) return false;
      const { record, raw } = chunk as RawRecord;
      // The raw text holds the empty and comment lines skipped before the record, then the record.
      const from = recordStart(raw, this.dialect.comment);
      const line = this.committedLines + 1 + countBreaks(raw, 0, from);
      this.committedLines = line + countBreaks(raw, from, raw.length) - 1;
      this.committed = start + parser.info.bytes;
      const text = withoutTerminator(raw.slice(from));
      this.records.push({ file: this.file, line, text, cells: cellsWithNulls(this.csv, record, text, this.dialect) });
      return true;
    };
    parser.on("error", () => {
      // Read synchronously through `errored` (failure()).
    });
    return parser;
  }

  /**
   * After a parse error: the failing record's first line becomes a bad record, and the bytes
   * after that line are returned to be parsed again by a new parser.
   */
  private recover(err: CsvParseError): Buffer {
    this.parser = undefined;
    if (typeof err.code !== "string" || !/^(CSV_|INVALID_)/.test(err.code)) {
      throw new TextIOError(`readCsv: cannot parse "${this.file}" (near line ${this.committedLines + 1}): ${err.message}.`, { cause: err });
    }
    const rest = Buffer.concat(this.pending).subarray(this.committed - this.pendingStart);
    this.pending = [];
    // Empty and comment lines before the record are not part of it.
    let from = 0;
    let line = this.committedLines + 1;
    for (;;) {
      const end = lineEnd(rest, from, true)!;
      if (end.next >= rest.length || !this.isSkippedLine(rest, from, end.at)) break;
      from = end.next;
      line++;
    }
    // csv-parse's own line number counts from its input's start (and CRLFs in quotes twice): the
    // line the error was found on is counted from the record's raw text up to the error instead.
    const seen = (err as { raw?: unknown }).raw;
    const foundOn = typeof seen === "string" ? line + countBreaks(seen, recordStart(seen, this.dialect.comment), seen.length) : line;
    const message = err.message.replace(/\bat line \d+/, `at line ${foundOn}`);
    const resumes = foundOn > line ? `; the record starting on line ${line} is taken to be that line alone, and reading resumes on line ${line + 1}` : "";
    this.bad = { line, text: [], error: message + resumes };
    this.offset = this.committed + from;
    this.linesBefore = line - 1;
    this.skipping = 1;
    this.afterCr = false;
    return rest.subarray(from);
  }

  private isSkippedLine(buf: Buffer, from: number, to: number): boolean {
    if (from === to) return true;
    const { comment } = this.dialect;
    return comment !== undefined && buf.toString("utf8", from, Math.min(to, from + 4)).startsWith(comment);
  }

  private finishBadRecord(): void {
    const bad = this.bad!;
    this.bad = undefined;
    this.skipping = 0;
    this.records.push({ file: this.file, line: bad.line, text: Buffer.concat(bad.text).toString("utf8"), error: bad.error });
  }
}

/**
 * Where the line starting at `from` ends: `at` its terminator (LF, CRLF or CR), `next` the
 * line after. Undefined when the bytes end first and more may come (`final` false), or when
 * they end with a CR whose LF may be in the next chunk (taken as the end, `next` = length).
 */
function lineEnd(buf: Buffer, from: number, final: boolean): { at: number; next: number } | undefined {
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c === LF) return { at: i, next: i + 1 };
    if (c === CR) return { at: i, next: buf[i + 1] === LF ? i + 2 : i + 1 };
  }
  return final ? { at: buf.length, next: buf.length } : undefined;
}

/** The line breaks in `text` from `from` to `to`: LF, CRLF and a lone CR each count one. */
function countBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) breaks++;
  }
  return breaks;
}

/** `text` without one line terminator at its end (csv-parse's raw text ends a CRLF record with the CR only). */
function withoutTerminator(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  return text.endsWith("\n") || text.endsWith("\r") ? text.slice(0, -1) : text;
}

/**
 * Where a record's own text starts in csv-parse's raw text, which also holds the empty and
 * comment lines skipped before it: the index past them.
 */
function recordStart(raw: string, comment: string | undefined): number {
  let from = 0;
  for (;;) {
    const c = raw.charCodeAt(from);
    const empty = c === LF || c === CR;
    if (!empty && (comment === undefined || raw[from] !== comment)) return from;
    let end = from;
    while (end < raw.length && raw.charCodeAt(end) !== LF && raw.charCodeAt(end) !== CR) end++;
    if (end >= raw.length) return from; // the record itself (a last line without terminator)
    end += raw.charCodeAt(end) === CR && raw.charCodeAt(end + 1) === LF ? 2 : 1;
    from = end;
  }
}

/**
 * A record's cells with null for unquoted cells equal to nullValue. csv-parse's `cast`, which
 * tells quoted cells, costs ~10 µs a cell, so it runs only where it matters: without a quote
 * in the record every cell is unquoted; without a cell equal to nullValue there is no null;
 * otherwise the record's text is parsed again by csv-parse with `cast`.
 */
function cellsWithNulls(csv: CsvParseModule, cells: CsvCells, text: string, dialect: CsvDialect): CsvCells {
  if (!text.includes(dialect.quote)) return cells.map((c) => (c === dialect.nullValue ? null : c));
  if (!cells.includes(dialect.nullValue)) return cells;
  try {
    const again = csv.parseSync(text, parserOptions(dialect));
    if (again.length === 1 && again[0]!.length === cells.length) return again[0]!;
  } catch {
    // Parsed in its file but not alone (cannot happen with csv-parse 7): the cells as read, no nulls.
  }
  return cells;
}
