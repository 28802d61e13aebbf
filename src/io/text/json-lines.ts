import { open, type FileHandle } from "node:fs/promises";
import { ConstructionError } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { map, parDo, splittableParDo, type DoFn, type ProcessContext, type TaggedOutputs } from "../../transforms/index.js";
import { fileSource, lineNumberAt } from "./byte-range-lines.js";
import { ReadFileLinesFn, StatFilesDoFn, type FileLine } from "./read-file-fn.js";
import { matchFiles, resolveReadOptions, type ReadTextOptions, type ResolvedReadOptions } from "./read-text.js";
import { TextIOError, messageOf, truncate } from "./text-io-error.js";
import { writeText, type WriteTextOptions } from "./write-text.js";

/** A line that is not valid JSON, as sent to the dead-letter output. */
export interface BadLine {
  /** The file (absolute path). */
  readonly file: string;
  /** The 1-based line number in the file, counting header lines. */
  readonly line: number;
  /** The line's text. */
  readonly text: string;
  /** Why JSON.parse rejected it. */
  readonly error: string;
}

/** Options of readJsonLines. */
export interface ReadJsonLinesOptions extends ReadTextOptions {
  /**
   * false (default): a line that is not JSON fails the job. true: such lines go to a
   * `deadLetter` output and the transform returns `{ main, deadLetter }`.
   */
  readonly deadLetter?: boolean;
  /** Passed to JSON.parse. */
  readonly reviver?: (this: unknown, key: string, value: unknown) => unknown;
}

/** The outputs of readJsonLines with `deadLetter: true`. */
export type JsonLinesWithDeadLetter<T> = TaggedOutputs<T, { deadLetter: BadLine }>;

/** A line on its way from the reader to the JSON parser. */
interface JsonLineRecord {
  readonly file: string;
  readonly text: string;
  /** Byte offset of the line start (files read by byte ranges). */
  readonly offset?: number;
  /** 1-based line number (compressed files, read as a stream). */
  readonly line?: number;
}

function toRecord(file: string, line: FileLine): JsonLineRecord {
  return line.line !== undefined ? { file, text: line.text, line: line.line } : { file, text: line.text, offset: line.offset };
}

/** Known line starts of a file, used to number bad lines without rereading from the start. */
type KnownLines = { offset: number; line: number }[];
const MAX_KNOWN_LINES = 64;

class ParseJsonDoFn<T> implements DoFn<JsonLineRecord, T, { deadLetter: BadLine }> {
  private known = new Map<string, KnownLines>();

  constructor(
    readonly deadLetter: boolean,
    readonly reviver: ReadJsonLinesOptions["reviver"],
  ) {}

  setup(): void {
    this.known = new Map();
  }

  process(record: JsonLineRecord, ctx: ProcessContext<T, { deadLetter: BadLine }>): void | Promise<void> {
    let value: T;
    try {
      value = JSON.parse(record.text, this.reviver) as T;
    } catch (err) {
      return this.badLine(record, err, ctx);
    }
    ctx.output(value);
  }

  /** A line that is not JSON: find its line number (only now, it costs a read), then fail or dead-letter it. */
  private async badLine(record: JsonLineRecord, err: unknown, ctx: ProcessContext<T, { deadLetter: BadLine }>): Promise<void> {
    const { file, text } = record;
    const line = record.line ?? (await this.lineNumber(file, record.offset ?? 0));
    if (this.deadLetter) {
      ctx.outputTo("deadLetter", { file, line, text, error: messageOf(err) });
      return;
    }
    throw new TextIOError(
      `readJsonLines: line ${line} of "${file}" is not valid JSON (${messageOf(err)}): ${truncate(text)}. ` +
        `Fix the input, or pass { deadLetter: true } to route bad lines to a "deadLetter" output.`,
      { cause: err },
    );
  }

  private async lineNumber(file: string, offset: number): Promise<number> {
    const known = this.known.get(file) ?? [];
    let from = { offset: 0, line: 1 };
    for (const k of known) if (k.offset <= offset && k.offset > from.offset) from = k;
    let handle: FileHandle | undefined;
    let line: number;
    try {
      handle = await open(file, "r");
      line = await lineNumberAt(fileSource(handle), offset, from);
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
 * against T. A line that is not JSON fails the job with its file and line number, or,
 * with `deadLetter: true`, goes to the `deadLetter` output as a BadLine.
 *
 * @example const orders = p.apply(readJsonLines<Order>("orders/*.jsonl"));
 * @example const { main, deadLetter } = p.apply(readJsonLines<Order>("orders/*.jsonl", { deadLetter: true }));
 */
export function readJsonLines<T>(
  filePattern: string,
  options?: ReadJsonLinesOptions & { readonly deadLetter?: false },
): PTransform<PBegin, PCollection<T>>;
export function readJsonLines<T>(
  filePattern: string,
  options: ReadJsonLinesOptions & { readonly deadLetter: true },
): PTransform<PBegin, JsonLinesWithDeadLetter<T>>;
export function readJsonLines<T>(
  filePattern: string,
  options: ReadJsonLinesOptions = {},
): PTransform<PBegin, PCollection<T> | JsonLinesWithDeadLetter<T>> {
  const resolved = resolveReadOptions("readJsonLines", filePattern, options);
  if (options.reviver !== undefined && typeof options.reviver !== "function") {
    throw new ConstructionError(`readJsonLines: reviver must be a function, got ${typeof options.reviver}.`);
  }
  return new ReadJsonLines<T>(filePattern, resolved, options.deadLetter === true, options.reviver);
}

class ReadJsonLines<T> extends PTransform<PBegin, PCollection<T> | JsonLinesWithDeadLetter<T>> {
  constructor(
    private readonly pattern: string,
    private readonly options: ResolvedReadOptions,
    private readonly deadLetter: boolean,
    private readonly reviver: ReadJsonLinesOptions["reviver"],
  ) {
    super("ReadJsonLines");
  }
  expand(input: PBegin): PCollection<T> | JsonLinesWithDeadLetter<T> {
    const lines = input
      .apply("MatchFiles", matchFiles(this.pattern, { emptyMatch: this.options.emptyMatch }))
      .apply("StatFiles", parDo(new StatFilesDoFn()))
      .apply("ReadLines", splittableParDo(new ReadFileLinesFn(this.options, toRecord)));
    const fn = new ParseJsonDoFn<T>(this.deadLetter, this.reviver);
    if (!this.deadLetter) return lines.apply("ParseLines", parDo<JsonLineRecord, T>(fn as DoFn<JsonLineRecord, T>));
    return lines.apply("ParseLines", parDo<JsonLineRecord, T, { deadLetter: BadLine }>(fn, { outputs: ["deadLetter"] }));
  }
}

function toJsonLine(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TextIOError(`writeJsonLines: cannot serialise an element to JSON: ${messageOf(err)}.`, { cause: err });
  }
  if (text === undefined) {
    throw new TextIOError(
      `writeJsonLines: an element of type ${typeof value} has no JSON form (JSON.stringify returned undefined). ` +
        `Map it to a plain value first.`,
    );
  }
  return text;
}

/**
 * Writes JSON Lines: each element as one line of JSON.stringify, with writeText's file
 * naming, sharding and atomic finalisation. Outputs the final file names.
 *
 * @example orders.apply(writeJsonLines("out/orders", { suffix: ".jsonl" }))
 */
export function writeJsonLines<T>(prefix: string, options: WriteTextOptions = {}): PTransform<PCollection<T>, PCollection<string>> {
  const write = writeText(prefix, options);
  return new WriteJsonLines<T>(write);
}

class WriteJsonLines<T> extends PTransform<PCollection<T>, PCollection<string>> {
  constructor(private readonly write: PTransform<PCollection<string>, PCollection<string>>) {
    super("WriteJsonLines");
  }
  expand(input: PCollection<T>): PCollection<string> {
    return input.apply("ToJson", map((value: T) => toJsonLine(value))).apply("WriteText", this.write);
  }
}
