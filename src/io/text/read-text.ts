import { ConstructionError } from "../../model/index.js";
import { stringUtf8Coder } from "../../coders/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import {
  impulse,
  parDo,
  reshuffle,
  splittableParDo,
  type DoFn,
  type ProcessContext,
  type WithFailures,
} from "../../transforms/index.js";
import { withoutWriteArtifacts } from "../files/index.js";
import { checkFileSystemPath, fileSystemFor, schemeOf } from "../filesystems/index.js";
import {
  INVALID_UTF8_TREATMENTS,
  RouteInvalidUtf8DoFn,
  type InvalidUtf8Treatment,
  type MaybeInvalidLine,
} from "./invalid-utf8.js";
import type { ReadCompression } from "./lines.js";
import { ReadFileLinesFn, StatFilesDoFn, type FileLine } from "./read-file-fn.js";
import { TextIOError, messageOf } from "./text-io-error.js";

/** What to do when a file pattern matches no file. */
export type EmptyMatchTreatment = "allow" | "disallow";

/** Options of matchFiles. */
export interface MatchFilesOptions {
  /** "disallow" (default) fails the job when nothing matches; "allow" yields no files. */
  readonly emptyMatch?: EmptyMatchTreatment;
}

/** Options of readText. */
export interface ReadTextOptions extends MatchFilesOptions {
  /** Lines to skip at the start of every file (e.g. a CSV header). Default 0. */
  readonly skipHeaderLines?: number;
  /** "auto" (default) gunzips files ending in ".gz"; "gzip" gunzips all; "none" none. */
  readonly compression?: ReadCompression;
  /**
   * What a line that is not valid UTF-8 does: "fail" (default) fails the job naming the
   * file and byte offset; "replace" reads bad bytes as U+FFFD and counts the line in
   * INVALID_UTF8_LINES_METRIC; "deadLetter" sends it to a `failures` output of BadRecords.
   */
  readonly invalidUtf8?: InvalidUtf8Treatment;
}

/** @internal ReadTextOptions with defaults applied and checked. */
export interface ResolvedReadOptions {
  readonly skipHeaderLines: number;
  readonly compression: ReadCompression;
  readonly emptyMatch: EmptyMatchTreatment;
  readonly invalidUtf8: InvalidUtf8Treatment;
  /** The reader's name, for messages ("readText"). */
  readonly reader: string;
}

/** @internal Checks a pattern and read options at construction time. */
export function resolveReadOptions(what: string, pattern: string, options: ReadTextOptions = {}): ResolvedReadOptions {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new ConstructionError(`${what} needs a non-empty file pattern (a path or a glob such as "logs/*.txt"); got ${String(pattern)}.`);
  }
  // An unknown scheme (a typo, or a file system nobody registered) fails before the job starts.
  checkFileSystemPath(pattern, what);
  const skipHeaderLines = options.skipHeaderLines ?? 0;
  if (!Number.isInteger(skipHeaderLines) || skipHeaderLines < 0) {
    throw new ConstructionError(`${what}: skipHeaderLines must be a non-negative integer, got ${String(skipHeaderLines)}.`);
  }
  const compression = options.compression ?? "auto";
  if (!["auto", "gzip", "none"].includes(compression)) {
    throw new ConstructionError(`${what}: compression must be "auto", "gzip" or "none", got ${String(compression)}.`);
  }
  const emptyMatch = options.emptyMatch ?? "disallow";
  if (!["allow", "disallow"].includes(emptyMatch)) {
    throw new ConstructionError(`${what}: emptyMatch must be "allow" or "disallow", got ${String(emptyMatch)}.`);
  }
  const invalidUtf8 = options.invalidUtf8 ?? "fail";
  if (!INVALID_UTF8_TREATMENTS.includes(invalidUtf8)) {
    throw new ConstructionError(`${what}: invalidUtf8 must be "fail", "replace" or "deadLetter", got ${String(invalidUtf8)}.`);
  }
  return { skipHeaderLines, compression, emptyMatch, invalidUtf8, reader: what };
}

/** Expands the glob when the pipeline runs (not when it is built). */
class ExpandGlobDoFn implements DoFn<Uint8Array, string> {
  constructor(
    readonly pattern: string,
    readonly emptyMatch: EmptyMatchTreatment,
  ) {}
  async process(_impulse: Uint8Array, ctx: ProcessContext<string>): Promise<void> {
    let files: string[];
    try {
      // Writes' success markers and temporary files are never data (src/io/files).
      const matched = await (await fileSystemFor(this.pattern)).match(this.pattern);
      files = await withoutWriteArtifacts(this.pattern, matched.map((m) => m.path));
    } catch (err) {
      throw new TextIOError(`Cannot expand file pattern "${this.pattern}": ${messageOf(err)}`, { cause: err });
    }
    if (files.length === 0 && this.emptyMatch === "disallow") {
      const relative = schemeOf(this.pattern) === "file" ? ` (relative paths are resolved against ${process.cwd()})` : "";
      throw new TextIOError(
        `No file matches the pattern "${this.pattern}"${relative}. ` +
          `Check the path and wildcards, or pass { emptyMatch: "allow" } to read nothing when no file matches.`,
      );
    }
    for (const file of files) ctx.output(file);
  }
}

/**
 * Beam's FileIO.match: the names (absolute paths, sorted) of the files matching a glob on
 * any registered file system (local paths, `s3://bucket/…`, `gs://bucket/…`),
 * expanded when the pipeline runs, then reshuffled so files are read in parallel.
 * Supports `*`, `?`, `**`, `[abc]`, `{a,b}` and `\` escapes (see `expandGlob`); a path
 * without wildcards matches itself. As Beam's FileIO.match, no match fails the job unless
 * `emptyMatch: "allow"`. A wildcard never matches writes' own files: success markers
 * (`_..._SUCCESS`) and files under `.temp-beam-*` directories.
 *
 * @example const files = p.apply(matchFiles("logs/**\/*.log"));
 */
export function matchFiles(filePattern: string, options: MatchFilesOptions = {}): PTransform<PBegin, PCollection<string>> {
  const resolved = resolveReadOptions("matchFiles", filePattern, options);
  return new MatchFiles(filePattern, resolved.emptyMatch);
}

class MatchFiles extends PTransform<PBegin, PCollection<string>> {
  constructor(
    private readonly pattern: string,
    private readonly emptyMatch: EmptyMatchTreatment,
  ) {
    super("MatchFiles");
  }
  expand(input: PBegin): PCollection<string> {
    return input
      .apply("Impulse", impulse())
      .apply("ExpandGlob", parDo(new ExpandGlobDoFn(this.pattern, this.emptyMatch)))
      .withCoder(stringUtf8Coder)
      .apply("Reshuffle", reshuffle<string>())
      .withCoder(stringUtf8Coder);
  }
}

/**
 * Beam's TextIO.read: one string per line of every file matching `filePattern`. The
 * glob is expanded when the pipeline runs; each file is read by a splittable DoFn over
 * byte ranges (large files in several ranges, with positioned reads), so lines of one
 * file come in no particular order.
 * Lines end at "\n", "\r\n" or "\r" (not part of the output); a UTF-8 BOM is dropped;
 * a last line without terminator is still a line. Files ending in ".gz" are gunzipped
 * (`compression: "auto"`). No match fails the job unless `emptyMatch: "allow"`.
 * Text is UTF-8: a line that is not fails the job naming the file and byte offset, unless
 * `invalidUtf8` is "replace" (U+FFFD, counted) or "deadLetter" (the transform then returns
 * `{ output, failures }`, see InvalidUtf8Treatment).
 *
 * @example const lines = p.apply(readText("data/{2024,2025}/*.csv", { skipHeaderLines: 1 }));
 * @example const { output, failures } = p.apply(readText("legacy/*.txt", { invalidUtf8: "deadLetter" }));
 */
export function readText(
  filePattern: string,
  options?: ReadTextOptions & { readonly invalidUtf8?: "fail" | "replace" },
): PTransform<PBegin, PCollection<string>>;
export function readText(
  filePattern: string,
  options: ReadTextOptions & { readonly invalidUtf8: "deadLetter" },
): PTransform<PBegin, WithFailures<PCollection<string>>>;
export function readText(
  filePattern: string,
  options?: ReadTextOptions,
): PTransform<PBegin, PCollection<string> | WithFailures<PCollection<string>>>;
export function readText(
  filePattern: string,
  options: ReadTextOptions = {},
): PTransform<PBegin, PCollection<string> | WithFailures<PCollection<string>>> {
  return new ReadText(filePattern, resolveReadOptions("readText", filePattern, options));
}

class ReadText extends PTransform<PBegin, PCollection<string> | WithFailures<PCollection<string>>> {
  constructor(
    private readonly pattern: string,
    private readonly options: ResolvedReadOptions,
  ) {
    super("ReadText");
  }
  expand(input: PBegin): PCollection<string> | WithFailures<PCollection<string>> {
    const files = input
      .apply("MatchFiles", new MatchFiles(this.pattern, this.options.emptyMatch))
      .apply("StatFiles", parDo(new StatFilesDoFn()));
    if (this.options.invalidUtf8 !== "deadLetter") {
      return files.apply("ReadLines", splittableParDo(new ReadFileLinesFn(this.options, (_file, line) => line.text))).withCoder(stringUtf8Coder);
    }
    // The splittable DoFn has one output: lines go on as records, and the next step routes them.
    const step = `${input.pipeline.currentLabel()}/ReadLines`;
    const routed = files
      .apply("ReadLines", splittableParDo(new ReadFileLinesFn(this.options, toMaybeInvalidLine)))
      .apply("RouteInvalidUtf8", parDo(new RouteInvalidUtf8DoFn(step, (line: MaybeInvalidLine) => line.text), { outputs: ["failures"] }));
    return { output: routed.main.withCoder(stringUtf8Coder), failures: routed.failures };
  }
}

/** @internal A line as the record RouteInvalidUtf8DoFn routes. */
export function toMaybeInvalidLine(file: string, line: FileLine): MaybeInvalidLine {
  const at = line.line !== undefined ? { line: line.line } : { offset: line.offset };
  return line.invalid === undefined ? { file, text: line.text, ...at } : { file, text: line.text, ...at, invalid: line.invalid };
}
