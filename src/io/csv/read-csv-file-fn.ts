import {
  OffsetRange,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { TextIOError, UnsplittableOffsetRangeTracker, isGzipped, messageOf, openFileStream, type ReadCompression, type TextFile } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";
import { loadCsvParse } from "./csv-parser.js";
import { CsvRecordReader } from "./csv-record-reader.js";
import { Utf8StreamCheck } from "./utf8-stream-check.js";
import type { CsvRecordText } from "./parse-csv-do-fn.js";

/** The "positions" of a file read whole: its record indexes. */
const WHOLE_FILE = new OffsetRange(0, Number.MAX_SAFE_INTEGER);

/**
 * Reads a CSV file whose quoted fields may hold line breaks (`splittable: false`): one
 * unsplittable restriction per file, claimed by record index, the file streamed through
 * csv-parse (gunzipped first when compressed) by a CsvRecordReader. Emits each record's
 * cells, its first line and raw text; a record csv-parse rejects (an unterminated quote, a
 * stray quote) is emitted as its first line with the reason, so the next step fails or
 * dead-letters it like any bad record, and reading goes on from the line after it.
 */
export class ReadCsvFileFn implements SplittableDoFn<TextFile, CsvRecordText, OffsetRange> {
  constructor(
    readonly dialect: CsvDialect,
    readonly skipLines: number,
    readonly header: boolean,
    readonly compression: ReadCompression,
    /** "fail": bytes that are not UTF-8 fail the file, naming the offset; "replace": read as U+FFFD. */
    readonly invalidUtf8: "fail" | "replace" = "fail",
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
    const reader = new CsvRecordReader(await loadCsvParse(), file.path, this.dialect, this.skipLines);
    let index = 0;
    let sawHeader = !this.header;
    /** Emits the records read so far; false once the restriction is done (a checkpoint). */
    const emit = (): boolean => {
      for (const record of reader.take()) {
        // The header is the first record; a malformed one is emitted so that it fails the file.
        if (!sawHeader) {
          sawHeader = true;
          if (record.error === undefined) continue;
        }
        if (!ctx.tracker.tryClaim(index++)) return false;
        ctx.output(record);
      }
      return true;
    };
    let input: Awaited<ReturnType<typeof openFileStream>> | undefined;
    try {
      input = await openFileStream(file.path, this.compression);
      const utf8 = this.invalidUtf8 === "fail" ? new Utf8StreamCheck() : undefined;
      for await (const chunk of input.stream as AsyncIterable<Buffer>) {
        const bad = utf8?.write(chunk) ?? -1;
        if (bad >= 0) throw this.notUtf8(file, bad, isGzipped(file.path, this.compression));
        reader.write(chunk);
        if (!emit()) return;
      }
      const bad = utf8?.end() ?? -1;
      if (bad >= 0) throw this.notUtf8(file, bad, isGzipped(file.path, this.compression));
      reader.end();
      if (!emit()) return;
    } catch (err) {
      if (err instanceof TextIOError) throw err;
      throw new TextIOError(`readCsv: cannot read "${file.path}": ${messageOf(err)}.`, { cause: err });
    } finally {
      await input?.close();
    }
    ctx.tracker.tryClaim(ctx.tracker.currentRestriction().to);
  }

  /** The error of a file that stops being UTF-8 at `offset` (of the decompressed stream when compressed). */
  private notUtf8(file: TextFile, offset: number, compressed: boolean): TextIOError {
    return new TextIOError(
      `readCsv: "${file.path}" is not UTF-8 at byte ${offset}${compressed ? " of its decompressed content" : ""}. ` +
        `CSV files are read as UTF-8: convert the file (e.g. iconv -f latin1 -t utf-8), or pass { invalidUtf8: "replace" } to read bad bytes as U+FFFD.`,
      { retryable: false },
    );
  }
}
