import { fileLineage } from "../../metrics/index.js";
import {
  OffsetRange,
  OffsetRangeTracker,
  type DoFn,
  type ProcessContext,
  type RestrictionTracker,
  type SplitResult,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { fileSystemFor, type ReadableFile } from "../filesystems/index.js";
import { lineNumberAt, readLinesInRange, type LineAt } from "./byte-range-lines.js";
import { INVALID_UTF8_LINES_METRIC, invalidUtf8Message, type InvalidUtf8 } from "./invalid-utf8.js";
import { isGzipped, readLines } from "./lines.js";
import { openReadableFile } from "./open-file.js";
import type { ResolvedReadOptions } from "./read-text.js";
import { TextIOError, messageOf } from "./text-io-error.js";

/** A matched file: its path (absolute locally, `<scheme>://…` otherwise) and its size in bytes when matched (Beam's MatchResult.Metadata). */
export interface TextFile {
  readonly path: string;
  readonly size: number;
}

/**
 * One line of a file. For a file read by byte ranges `offset` is the byte offset where the
 * line starts (its line number is found only when needed, see lineNumberAt); for a
 * compressed file, read as one stream, `line` is its 1-based number.
 */
export interface FileLine {
  readonly text: string;
  readonly offset?: number;
  readonly line?: number;
  /** Set, with `invalidUtf8: "deadLetter"`, when the line is not valid UTF-8. */
  readonly invalid?: InvalidUtf8;
}

/** Byte ranges are never cut smaller than this at the initial split, so small files stay whole. */
export const MIN_SPLIT_BYTES = 64 * 1024;

/** Stats each matched path, so the reader knows the size of its initial byte range. */
export class StatFilesDoFn implements DoFn<string, TextFile> {
  async process(path: string, ctx: ProcessContext<TextFile>): Promise<void> {
    // Every file reader (text, JSON lines, CSV, Avro) stats its files here: one lineage source each.
    fileLineage("sources", path);
    let size: number | undefined;
    try {
      size = (await (await fileSystemFor(path)).metadata(path))?.sizeBytes;
    } catch (err) {
      throw new TextIOError(`Cannot read "${path}": ${messageOf(err)}.`, { cause: err });
    }
    if (size === undefined) {
      throw new TextIOError(`Cannot read "${path}": it no longer exists (it was matched, then removed). Rerun once the input stops changing.`);
    }
    ctx.output({ path, size });
  }
}

/**
 * An OffsetRangeTracker that refuses every split: the restriction of a compressed file,
 * which can only be read as one stream from its start. A runner's checkpoint fails, so the
 * whole file is read by one `process` call (as Beam does for unsplittable sources).
 */
export class UnsplittableOffsetRangeTracker extends OffsetRangeTracker {
  override trySplit(fractionOfRemainder: number): SplitResult<OffsetRange> | undefined {
    void fractionOfRemainder;
    return undefined;
  }
}

/** The "positions" of a compressed file: its decompressed line indexes. */
const WHOLE_STREAM = new OffsetRange(0, Number.MAX_SAFE_INTEGER);

/**
 * Beam's TextSource as a splittable DoFn: the element is a file, the restriction a byte
 * OffsetRange `[0, size)`, split up front into pieces of about `size / desiredChunks`
 * bytes (at least MIN_SPLIT_BYTES). Each piece reads its lines with positioned reads and
 * claims each line's start offset (readLinesInRange), so a runner can checkpoint it
 * between lines and resume the residual mid-file. Compressed files are one unsplittable
 * restriction read as a stream, claiming line indexes. `toOutput` turns a line into the
 * output element.
 */
export class ReadFileLinesFn<Out> implements SplittableDoFn<TextFile, Out, OffsetRange> {
  constructor(
    readonly options: ResolvedReadOptions,
    readonly toOutput: (file: string, line: FileLine) => Out,
    readonly minSplitBytes: number = MIN_SPLIT_BYTES,
  ) {}

  private compressed(file: TextFile): boolean {
    return isGzipped(file.path, this.options.compression);
  }

  getInitialRestriction(file: TextFile): OffsetRange {
    return this.compressed(file) ? WHOLE_STREAM : new OffsetRange(0, file.size);
  }

  splitRestriction(file: TextFile, range: OffsetRange, desiredChunks: number): OffsetRange[] {
    if (this.compressed(file)) return [range];
    if (range.isEmpty) return [];
    const chunks = Math.max(1, Math.floor(desiredChunks));
    const size = Math.max(this.minSplitBytes, Math.ceil(range.size / chunks));
    return range.split(size, this.minSplitBytes);
  }

  getSize(file: TextFile, range: OffsetRange): number {
    return this.compressed(file) ? file.size : range.size;
  }

  newTracker(file: TextFile, range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return this.compressed(file) ? new UnsplittableOffsetRangeTracker(range) : new OffsetRangeTracker(range);
  }

  async process(file: TextFile, ctx: SplittableProcessContext<Out, OffsetRange, number>): Promise<void> {
    if (this.compressed(file)) await this.readStream(file, ctx);
    else await this.readRange(file, ctx);
  }

  private async readRange(file: TextFile, ctx: SplittableProcessContext<Out, OffsetRange, number>): Promise<void> {
    let source: ReadableFile | undefined;
    let at = ctx.tracker.currentRestriction().from;
    let downstream: unknown = undefined; // an error of a fused downstream step: not ours to wrap
    try {
      source = await openReadableFile(file.path);
      const opened = source;
      const emit = (line: LineAt): void => {
        try {
          ctx.output(this.toOutput(file.path, line));
        } catch (err) {
          downstream = err;
          throw err;
        }
      };
      await readLinesInRange(
        opened,
        ctx.tracker,
        (line) => {
          at = line.offset;
          if (line.invalid !== undefined && this.options.invalidUtf8 !== "deadLetter") {
            // Numbering the line costs a read from the file's start: only for a failure.
            const number = () => lineNumberAt(opened, line.offset);
            return this.invalidLine(file.path, line.text, line.invalid, ctx, number).then(() => emit(line));
          }
          emit(line);
        },
        { skipHeaderLines: this.options.skipHeaderLines },
      );
    } catch (err) {
      if (err === downstream || err instanceof TextIOError) throw err;
      throw new TextIOError(`Cannot read "${file.path}" (near byte ${at}): ${messageOf(err)}.`, { cause: err });
    } finally {
      await source?.close();
    }
  }

  private async readStream(file: TextFile, ctx: SplittableProcessContext<Out, OffsetRange, number>): Promise<void> {
    const tracker = ctx.tracker;
    let index = 0;
    let downstream: unknown = undefined;
    try {
      for await (const { text, invalid } of readLines(file.path, this.options.compression)) {
        const line = index++;
        if (line < this.options.skipHeaderLines) continue;
        // The tracker refuses splits, so this claim fails only if something else went wrong.
        if (!tracker.tryClaim(line)) return;
        if (invalid !== undefined && this.options.invalidUtf8 !== "deadLetter") {
          await this.invalidLine(file.path, text, invalid, ctx, () => Promise.resolve(line + 1), true);
        }
        try {
          ctx.output(this.toOutput(file.path, invalid === undefined ? { text, line: line + 1 } : { text, line: line + 1, invalid }));
        } catch (err) {
          downstream = err;
          throw err;
        }
      }
    } catch (err) {
      if (err === downstream || err instanceof TextIOError) throw err;
      const hint = (err as { code?: string }).code?.startsWith("Z_")
        ? ` The file is read as gzip; if it is not compressed, pass { compression: "none" }.`
        : "";
      throw new TextIOError(`Cannot read "${file.path}" (at line ${index + 1}): ${messageOf(err)}.${hint}`, { cause: err });
    }
    tracker.tryClaim(tracker.currentRestriction().to);
  }

  /** A line that is not UTF-8, with `invalidUtf8` "fail" (throws) or "replace" (counts it). */
  private async invalidLine(
    file: string,
    text: string,
    invalid: InvalidUtf8,
    ctx: SplittableProcessContext<Out, OffsetRange, number>,
    lineNumber: () => Promise<number>,
    compressed = false,
  ): Promise<void> {
    if (this.options.invalidUtf8 === "replace") {
      ctx.metrics.counter(INVALID_UTF8_LINES_METRIC.namespace, INVALID_UTF8_LINES_METRIC.name).inc();
      return;
    }
    const line = await lineNumber();
    throw new TextIOError(invalidUtf8Message(this.options.reader, { file, line, compressed }, invalid, text), { retryable: false });
  }
}
