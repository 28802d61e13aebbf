import {
  OffsetRange,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { TextIOError, UnsplittableOffsetRangeTracker, messageOf, openFileStream, type ReadCompression, type TextFile } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";
import { loadCsvParse } from "./csv-parser.js";
import { CsvRecordReader } from "./csv-record-reader.js";
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
      for await (const chunk of input.stream as AsyncIterable<Buffer>) {
        reader.write(chunk);
        if (!emit()) return;
      }
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
}
