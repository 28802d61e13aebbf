import { ConstructionError } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { stringUtf8Coder } from "../../coders/index.js";
import {
  flattenAll,
  map,
  parDo,
  splittableParDo,
  type DoFn,
  type ProcessContext,
  type BadRecord,
  type WithFailures,
} from "../../transforms/index.js";
import { checkFileSystemPath, type ReadableFile } from "../filesystems/index.js";
import { lineNumberAt } from "./byte-range-lines.js";
import { openReadableFile } from "./open-file.js";
import { RouteInvalidUtf8DoFn, type MaybeInvalidLine } from "./invalid-utf8.js";
import { ReadFileLinesFn, StatFilesDoFn } from "./read-file-fn.js";
import { matchFiles, resolveReadOptions, toMaybeInvalidLine, type ReadTextOptions, type ResolvedReadOptions } from "./read-text.js";
import { toJsonLine } from "./json-lines-sink.js";
import { TextIOError, messageOf, truncate } from "./text-io-error.js";
import { writeText, type WriteTextOptions } from "./write-text.js";

/**
 * Options of readJsonLines: readText's (a line that is not UTF-8 fails the job unless
 * `invalidUtf8` says otherwise) and what to do with a line that is not JSON.
 */
export interface ReadJsonLinesOptions extends ReadTextOptions {
  /**
   * "fail" (default): a line that is not JSON fails the job, naming the file and line.
   * "deadLetter": it goes to a `failures` output as a BadRecord and the transform returns
   * `{ output, failures }` (with `invalidUtf8: "deadLetter"` both kinds share `failures`).
   */
  readonly invalidJson?: "fail" | "deadLetter";
  /** Passed to JSON.parse. */
  readonly reviver?: (this: unknown, key: string, value: unknown) => unknown;
}

/**
 * A line on its way from the reader to the JSON parser: its file, text, and byte offset
 * (files read by byte ranges) or 1-based line number (compressed files, read as a stream).
 */
type JsonLineRecord = MaybeInvalidLine;

/** Known line starts of a file, used to number bad lines without rereading from the start. */
type KnownLines = { offset: number; line: number }[];
const MAX_KNOWN_LINES = 64;

class ParseJsonDoFn<T> implements DoFn<JsonLineRecord, T, { failures: BadRecord }> {
  private known = new Map<string, KnownLines>();

  constructor(
    readonly deadLetter: boolean,
    readonly reviver: ReadJsonLinesOptions["reviver"],
    /** The full label of the parsing step, for BadRecords (set at expansion). */
    readonly step: { label: string },
  ) {}

  setup(): void {
    this.known = new Map();
  }

  process(record: JsonLineRecord, ctx: ProcessContext<T, { failures: BadRecord }>): void | Promise<void> {
    let value: T;
    try {
      value = JSON.parse(record.text, this.reviver) as T;
    } catch (err) {
      return this.badLine(record, err, ctx);
    }
    ctx.output(value);
  }

  /** A line that is not JSON: find its line number (only now, it costs a read), then fail or dead-letter it. */
  private async badLine(record: JsonLineRecord, err: unknown, ctx: ProcessContext<T, { failures: BadRecord }>): Promise<void> {
    const { file, text } = record;
    const line = record.line ?? (await this.lineNumber(file, record.offset ?? 0));
    if (this.deadLetter) {
      ctx.outputTo("failures", {
        step: this.step.label,
        element: { preview: truncate(text), encoded: new Uint8Array(Buffer.from(text, "utf8")), coder: stringUtf8Coder.urn },
        error: {
          type: err instanceof Error ? err.name : typeof err,
          message: messageOf(err),
          stack: "",
          description: `parsing line ${line} of "${file}" as JSON`,
        },
        window: ctx.window.toString(),
        timestamp: ctx.timestamp,
        attempt: 1,
        failedAt: Date.now(),
      });
      return;
    }
    throw new TextIOError(
      `readJsonLines: line ${line} of "${file}" is not valid JSON (${messageOf(err)}): ${truncate(text)}. ` +
        `Fix the input, or pass { invalidJson: "deadLetter" } to send bad lines to a "failures" output.`,
      { cause: err, retryable: false },
    );
  }

  private async lineNumber(file: string, offset: number): Promise<number> {
    const known = this.known.get(file) ?? [];
    let from = { offset: 0, line: 1 };
    for (const k of known) if (k.offset <= offset && k.offset > from.offset) from = k;
    let handle: ReadableFile | undefined;
    let line: number;
    try {
      handle = await openReadableFile(file);
      line = await lineNumberAt(handle, offset, from);
    } catch (err) {
      throw new TextIOError(`Cannot read "${file}" to number its lines: ${messageOf(err)}.`, { cause: err });
    } finally {
      await handle?.close();
    }
    known.push({ offset, line });
    if (known.length > MAX_KNOWN_LINES) known.shift();
    this.known.set(file, known);
    return line;
  }
}

/**
 * Reads JSON Lines: one JSON value per line of every file matching `filePattern` (same
 * matching, decompression and header options as readText). The values are not checked
 * against T. A line that is not JSON fails the job with its file and line number, or, with
 * `invalidJson: "deadLetter"`, goes to a `failures` output as a BadRecord (its description
 * names the file and line). A line that is not UTF-8 is treated before parsing, as
 * readText's `invalidUtf8` says. With either "deadLetter" the result is `{ output, failures }`.
 *
 * @example const orders = p.apply(readJsonLines<Order>("orders/*.jsonl"));
 * @example const { output, failures } = p.apply(readJsonLines<Order>("orders/*.jsonl", { invalidJson: "deadLetter" }));
 */
export function readJsonLines<T>(
  filePattern: string,
  options?: ReadJsonLinesOptions & { readonly invalidJson?: "fail"; readonly invalidUtf8?: "fail" | "replace" },
): PTransform<PBegin, PCollection<T>>;
export function readJsonLines<T>(
  filePattern: string,
  options: ReadJsonLinesOptions & ({ readonly invalidJson: "deadLetter" } | { readonly invalidUtf8: "deadLetter" }),
): PTransform<PBegin, WithFailures<PCollection<T>>>;
export function readJsonLines<T>(filePattern: string, options?: ReadJsonLinesOptions): PTransform<PBegin, PCollection<T> | WithFailures<PCollection<T>>>;
export function readJsonLines<T>(filePattern: string, options: ReadJsonLinesOptions = {}): PTransform<PBegin, PCollection<T> | WithFailures<PCollection<T>>> {
  const resolved = resolveReadOptions("readJsonLines", filePattern, options);
  if (options.reviver !== undefined && typeof options.reviver !== "function") {
    throw new ConstructionError(`readJsonLines: reviver must be a function, got ${typeof options.reviver}.`);
  }
  const invalidJson = options.invalidJson ?? "fail";
  if (invalidJson !== "fail" && invalidJson !== "deadLetter") {
    throw new ConstructionError(`readJsonLines: invalidJson must be "fail" or "deadLetter", got ${String(invalidJson)}.`);
  }
  return new ReadJsonLines<T>(filePattern, resolved, invalidJson === "deadLetter", options.reviver);
}

type JsonLinesOutput<T> = PCollection<T> | WithFailures<PCollection<T>>;

class ReadJsonLines<T> extends PTransform<PBegin, JsonLinesOutput<T>> {
  constructor(
    private readonly pattern: string,
    private readonly options: ResolvedReadOptions,
    private readonly deadLetter: boolean,
    private readonly reviver: ReadJsonLinesOptions["reviver"],
  ) {
    super("ReadJsonLines");
  }
  expand(input: PBegin): JsonLinesOutput<T> {
    const read = input
      .apply("MatchFiles", matchFiles(this.pattern, { emptyMatch: this.options.emptyMatch }))
      .apply("StatFiles", parDo(new StatFilesDoFn()))
      .apply("ReadLines", splittableParDo(new ReadFileLinesFn(this.options, toMaybeInvalidLine)));
    let lines = read;
    const failures: PCollection<BadRecord>[] = [];
    if (this.options.invalidUtf8 === "deadLetter") {
      // The splittable DoFn has one output: this step sends lines that are not UTF-8 to `failures`.
      const step = `${input.pipeline.currentLabel()}/ReadLines`;
      const route = new RouteInvalidUtf8DoFn(step, (line: JsonLineRecord) => line);
      const routed = read.apply("RouteInvalidUtf8", parDo(route, { outputs: ["failures"] }));
      lines = routed.main;
      failures.push(routed.failures);
    }
    const step = { label: `${input.pipeline.currentLabel()}/ParseLines` };
    const fn = new ParseJsonDoFn<T>(this.deadLetter, this.reviver, step);
    if (!this.deadLetter) {
      const output = lines.apply("ParseLines", parDo<JsonLineRecord, T>(fn as DoFn<JsonLineRecord, T>));
      return failures.length === 0 ? output : { output, failures: failures[0]! };
    }
    const parsed = lines.apply("ParseLines", parDo<JsonLineRecord, T, { failures: BadRecord }>(fn, { outputs: ["failures"] }));
    failures.push(parsed.failures);
    return { output: parsed.main, failures: failures.length === 1 ? failures[0]! : flattenAll(failures, "Failures") };
  }
}

/**
 * Writes JSON Lines: each element as one line of JSON.stringify (byte arrays as base64
 * strings), with writeText's file naming, sharding and atomic finalisation (per window
 * and pane for an unbounded input, see writeText). Outputs the final file names. The lines
 * are jsonLinesSink's (writeFiles); they are made before the shuffle of `numShards`, so any
 * element with a JSON form is written, whatever its coder.
 *
 * @example orders.apply(writeJsonLines("out/orders", { suffix: ".jsonl" }))
 */
export function writeJsonLines<T>(prefix: string, options: WriteTextOptions = {}): PTransform<PCollection<T>, PCollection<string>> {
  checkFileSystemPath(prefix, "writeJsonLines");
  const write = writeText(prefix, options);
  return new WriteJsonLines<T>(write);
}

class WriteJsonLines<T> extends PTransform<PCollection<T>, PCollection<string>> {
  constructor(private readonly write: PTransform<PCollection<string>, PCollection<string>>) {
    super("WriteJsonLines");
  }
  expand(input: PCollection<T>): PCollection<string> {
    return input.apply("ToJson", map((value: T) => toJsonLine(value, "writeJsonLines"))).apply("WriteText", this.write);
  }
}
