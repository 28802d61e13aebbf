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

/** The "positions" of a file read whole: its record indexes. */
const WHOLE_FILE = new OffsetRange(0, Number.MAX_SAFE_INTEGER);

/** The 1-based line a record starts on, from the line its parse ended on and its raw text. */
function startLine(endLine: number, raw: string): number {
  const body = raw.replace(/(\r\n|\n|\r)$/, "");
  return endLine - (body.match(/\r\n|\r|\n/g)?.length ?? 0);
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
      raw: true,
      info: true,
      // A record csv-parse rejects goes on with its reason (ParseCsv fails the job or dead-letters it).
      skip_records_with_error: true,
      on_skip: (err: (Error & { lines?: number }) | undefined, raw: string | undefined): undefined => {
        const text = (raw ?? "").replace(/(\r\n|\n|\r)$/, "");
        emit({ file: file.path, line: startLine(err?.lines ?? 0, raw ?? ""), text, error: err?.message ?? "unparsable record" });
        return undefined;
      },
    });
    let lastLine = this.skipLines;
    let input: Awaited<ReturnType<typeof openFileStream>> | undefined;
    try {
      input = await openFileStream(file.path, this.compression);
      input.stream.on("error", (err: Error) => parser.destroy(err));
      input.stream.pipe(parser);
      for await (const item of parser as AsyncIterable<{ record: CsvCells; raw: string; info: { lines: number } }>) {
        const line = startLine(item.info.lines, item.raw);
        lastLine = item.info.lines;
        if (!sawHeader) {
          sawHeader = true;
          continue;
        }
        const text = item.raw.replace(/(\r\n|\n|\r)$/, "");
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
