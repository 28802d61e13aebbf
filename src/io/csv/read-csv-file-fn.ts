import {
  OffsetRange,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { TextIOError, UnsplittableOffsetRangeTracker, messageOf, openFileStream, type ReadCompression, type TextFile } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";
import { parseCsvLine } from "./csv-line.js";
import { loadCsvParse, parserOptions, type CsvCells } from "./csv-parser.js";
import type { CsvRecordText } from "./parse-csv-do-fn.js";

/** A record as csv-parse gives it with `raw: true`, and the line it ends on. */
interface ParsedRecord {
  readonly record: CsvCells;
  readonly raw: string;
  lines: number;
}

/** The "positions" of a file read whole: its record indexes. */
const WHOLE_FILE = new OffsetRange(0, Number.MAX_SAFE_INTEGER);

/** The 1-based line a record starts on, from the line its parse ended on and its own text (terminator included or not). */
function startLine(endLine: number, text: string): number {
  const body = withoutTerminator(text);
  let breaks = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 10 || (c === 13 && body.charCodeAt(i + 1) !== 10)) breaks++;
  }
  return endLine - breaks;
}

/** `text` without one line terminator at its end. */
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
    const empty = c === 10 || c === 13;
    if (!empty && (comment === undefined || raw[from] !== comment)) return from;
    let end = from;
    while (end < raw.length && raw.charCodeAt(end) !== 10 && raw.charCodeAt(end) !== 13) end++;
    if (end >= raw.length) return from; // the record itself (a last line without terminator)
    end += raw.charCodeAt(end) === 13 && raw.charCodeAt(end + 1) === 10 ? 2 : 1;
    from = end;
  }
}

/**
 * A record's cells with null for unquoted cells equal to nullValue (csv-parse's cast, which
 * could tell, costs ~10 µs a cell). Without a quote in the record every cell is unquoted;
 * otherwise the record's text is parsed again by parseCsvLine, which also tells quoted cells.
 */
function cellsWithNulls(cells: CsvCells, text: string, dialect: CsvDialect): CsvCells {
  if (!text.includes(dialect.quote)) return cells.map((c) => (c === dialect.nullValue ? null : c));
  try {
    const again = parseCsvLine(text, dialect);
    if (again !== undefined && again.length === cells.length) return again;
  } catch {
    // csv-parse accepted what parseCsvLine does not (a comment character after a closing quote): no nulls.
  }
  return cells;
}

/**
 * Reads a CSV file whose quoted fields may hold line breaks (`splittable: false`): one
 * unsplittable restriction per file, claimed by record index, the file streamed through
 * csv-parse (gunzipped first when compressed). Emits each record's cells, its first line
 * and raw text; a record csv-parse rejects (an unterminated quote, a stray quote) is emitted
 * with its reason, so the next step fails or dead-letters it like any bad record. After a
 * parse error that is not skippable the file ends there.
 */
export class ReadCsvFileFn implements SplittableDoFn<TextFile, CsvRecordText, OffsetRange> {
  constructor(
    readonly dialect: CsvDialect,
    readonly skipLines: number,
    readonly header: boolean,
    readonly compression: ReadCompression,
  ) {}

  getInitialRestriction(): OffsetRange {
    return WHOLE_FILE;
  }

  splitRestriction(_file: TextFile, range: OffsetRange): OffsetRange[] {
    return [range];
  }

  getSize(file: TextFile): number {
    return file.size;
  }

  newTracker(_file: TextFile, range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new UnsplittableOffsetRangeTracker(range);
  }

  async process(file: TextFile, ctx: SplittableProcessContext<CsvRecordText, OffsetRange, number>): Promise<void> {
    const csv = await loadCsvParse();
    let index = 0;
    let sawHeader = !this.header;
    const emit = (record: CsvRecordText): boolean => {
      if (!ctx.tracker.tryClaim(index++)) return false;
      ctx.output(record);
      return true;
    };
    const parser = csv.parseStream({
      ...parserOptions(this.dialect, false),
      bom: true,
      from_line: this.skipLines + 1,
      // Not `info: true`: it builds an object and decodes the raw text again per record, which
      // made whole-file reads 2-3x slower; the line count is taken as each record is pushed (below).
      raw: true,
      // A record csv-parse rejects goes on with its reason (ParseCsv fails the job or dead-letters it).
      skip_records_with_error: true,
      on_skip: (err: (Error & { lines?: number }) | undefined, raw: string | undefined): undefined => {
        const own = (raw ?? "").slice(recordStart(raw ?? "", this.dialect.comment));
        emit({ file: file.path, line: startLine(err?.lines ?? 0, own), text: withoutTerminator(own), error: err?.message ?? "unparsable record" });
        return undefined;
      },
    });
    // csv-parse pushes each record synchronously as it ends, when `parser.info.lines` (its
    // documented running state) is the line the record ends on: noted on the record then.
    const push = parser.push.bind(parser);
    parser.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk !== null) (chunk as ParsedRecord).lines = parser.info.lines;
      return push(chunk, encoding);
    };
    let lastLine = this.skipLines;
    let input: Awaited<ReturnType<typeof openFileStream>> | undefined;
    try {
      input = await openFileStream(file.path, this.compression);
      input.stream.on("error", (err: Error) => parser.destroy(err));
      input.stream.pipe(parser);
      for await (const item of parser as AsyncIterable<ParsedRecord>) {
        // The raw text holds the empty and comment lines skipped before the record, then the record.
        const own = item.raw.slice(recordStart(item.raw, this.dialect.comment));
        const line = startLine(item.lines, own);
        lastLine = item.lines;
        if (!sawHeader) {
          sawHeader = true;
          continue;
        }
        const text = withoutTerminator(own);
        if (!emit({ file: file.path, line, text, cells: cellsWithNulls(item.record, text, this.dialect) })) return;
      }
    } catch (err) {
      const csvErr = err as Error & { code?: string; lines?: number };
      if (typeof csvErr.code !== "string" || !csvErr.code.startsWith("CSV_")) {
        throw new TextIOError(`readCsv: cannot read "${file.path}" (near line ${lastLine + 1}): ${messageOf(err)}.`, { cause: err });
      }
      // A parse error: the record goes to the next step, which names it and fails (or dead-letters it).
      // The rest of the file cannot be parsed: it is done.
      if (emit({ file: file.path, line: csvErr.lines ?? lastLine + 1, text: "", error: csvErr.message })) ctx.tracker.tryClaim(ctx.tracker.currentRestriction().to);
      return;
    } finally {
      await input?.close();
    }
    ctx.tracker.tryClaim(ctx.tracker.currentRestriction().to);
  }
}
