import { ConstructionError } from "../../model/index.js";
import { stringUtf8Coder } from "../../coders/index.js";
import type { PCollection, PTransform } from "../../pipeline/index.js";
import { ShardedWrite, resolveOutputPath, shardFileName } from "../files/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import type { WriteCompression } from "./shard-writer.js";
import { checkLine, textSink } from "./text-sink.js";

export { shardFileName };

/** Options of writeText. */
export interface WriteTextOptions {
  /** Appended to every file name, e.g. ".txt" or ".csv.gz". Default "". */
  readonly suffix?: string;
  /**
   * A fixed number of output files (per window and pane for an unbounded input, where it is
   * required); by default the runner decides (one per bundle).
   */
  readonly numShards?: number;
  /** A line written at the top of every file. */
  readonly header?: string;
  /** A line written at the bottom of every file. */
  readonly footer?: string;
  /** "gzip" compresses every file (choose the suffix yourself). Default "none". */
  readonly compression?: WriteCompression;
}

/** @internal WriteTextOptions with defaults applied and checked. */
interface WriteSettings {
  readonly prefix: string;
  readonly suffix: string;
  readonly numShards: number | undefined;
  readonly header: string | undefined;
  readonly footer: string | undefined;
  readonly compression: WriteCompression;
}

function resolveWriteSettings(what: string, prefix: string, options: WriteTextOptions): WriteSettings {
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`${what} needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  // An unknown scheme fails here, before the job starts (instead of writing a local folder named "s3x:").
  checkFileSystemPath(prefix, what);
  const { numShards, compression = "none", suffix = "", header, footer } = options;
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(
      `${what}: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`,
    );
  }
  if (compression !== "none" && compression !== "gzip") {
    throw new ConstructionError(`${what}: compression must be "none" or "gzip", got ${String(compression)}.`);
  }
  for (const [name, v] of [["suffix", suffix], ["header", header], ["footer", footer]] as const) {
    if (v !== undefined && typeof v !== "string") {
      throw new ConstructionError(`${what}: ${name} must be a string, got ${typeof v}.`);
    }
  }
  return { prefix: resolveOutputPath(prefix), suffix, numShards, header, footer, compression };
}

/**
 * Beam's TextIO.write: writes each string as one line ("\n"-terminated) to files named
 * `${prefix}-SSSSS-of-NNNNN${suffix}` and outputs the final file names. Files are written
 * under a temporary directory next to the output and renamed into place only when all
 * are complete; an empty input still writes one empty file. Without `numShards` the
 * runner chooses the number of files (one per bundle). Windows of a bounded input are not
 * kept: all elements are written together.
 *
 * An unbounded input is written per window and pane instead (`numShards` required): each
 * pane the input's windowing fires becomes files named
 * `${prefix}-<window start>-<window end>-<pane index>-SSSSS-of-NNNNN${suffix}` (Beam's
 * FileIO defaultNaming), committed exactly once with checkpoints (docs/IO.md, "Streaming
 * file writes"), without a success marker.
 *
 * The write replaces the previous output of the same prefix and suffix (its shards, of any
 * count; no other file) and then writes the success marker `_${basename}${suffix}_SUCCESS`
 * listing the new files: a consumer that sees the marker sees one complete run, even after
 * a crash at any point. readText and matchFiles skip markers matched by a wildcard.
 *
 * @example lines.apply(writeText("out/words", { suffix: ".txt", numShards: 3 }))
 * @example events.apply(windowInto(fixedWindows(60_000))).apply(writeText("out/minute", { numShards: 1 }))
 */
export function writeText(prefix: string, options: WriteTextOptions = {}): PTransform<PCollection<string>, PCollection<string>> {
  const settings = resolveWriteSettings("writeText", prefix, options);
  const sink = textSink(settings, "writeText");
  return new ShardedWrite("WriteText", {
    what: "writeText",
    prefix: settings.prefix,
    suffix: settings.suffix,
    numShards: settings.numShards,
    openShard: (file, createOptions) => sink.open(file, createOptions),
    check: (line) => checkLine(line, "writeText"),
    elementCoder: stringUtf8Coder,
  });
}
