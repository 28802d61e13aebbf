import { stringUtf8Coder } from "../../coders/index.js";
import type { BadRecord, DoFn, ProcessContext } from "../../transforms/index.js";
import type { ReadableFile } from "../filesystems/index.js";
import { TextIOError, lineNumberAt, messageOf, openFileStream, openReadableFile, truncate, type ReadCompression } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";
import { CsvLineParser } from "./csv-line-parser.js";
import { loadCsvParse, type CsvCells, type CsvParseModule } from "./csv-parser.js";
import { CsvRecordReader } from "./csv-record-reader.js";
import type { CsvFieldCodec } from "./csv-values.js";

/**
 * A record on its way to ParseCsv: its file, its text, and where it starts — a byte
 * `offset` (lines read by byte ranges) or a 1-based `line` (compressed files, whole-file
 * reads). Whole-file reads have parsed it already (`cells`), or say why they could not (`error`).
 */
export interface CsvRecordText {
  readonly file: string;
  readonly text: string;
  readonly offset?: number;
  readonly line?: number;
  readonly cells?: CsvCells;
  readonly error?: string;
}

/** What ParseCsv makes of cells: rows of a schema, records keyed by the header, or arrays. */
export type CsvShape =
  | { readonly kind: "schema"; readonly fields: readonly { readonly name: string; readonly nullable: boolean; readonly codec: CsvFieldCodec }[] }
  | { readonly kind: "keyed" }
  | { readonly kind: "array" };

/** ParseCsv's settings, fixed at construction. */
export interface ParseCsvSettings {
  readonly dialect: CsvDialect;
  readonly shape: CsvShape;
  /** The file's first record after `skipLines` is its header. */
  readonly header: boolean;
  readonly skipLines: number;
  /** A record with more or fewer cells than the header (or schema) is bad; else missing cells are null and extra ones dropped. */
  readonly strict: boolean;
  readonly compression: ReadCompression;
  readonly deadLetter: boolean;
}

/** Headers kept per DoFn instance. */
const MAX_HEADERS = 64;

/** A record ParseCsv rejects, and why. */
class BadCsvRecord extends Error {}

/**
 * Parses (when not yet parsed) and converts CSV records: cells to typed rows of the schema,
 * to records keyed by the file's header, or to arrays. The header of each file is read once
 * per DoFn instance, from the file's start, so every byte range of a file shares it. A bad
 * record (unparsable text, wrong cell count, a value its field type cannot hold) fails the
 * job naming the file, line, text and reason, or goes to `failures` as a BadRecord.
 */
export class ParseCsvDoFn implements DoFn<CsvRecordText, unknown, { failures: BadRecord }> {
  private headers = new Map<string, Promise<string[]>>();
  /** Headers already read, so that records of a known file are converted without a promise. */
  private readHeaders = new Map<string, string[]>();
  private csv: CsvParseModule | undefined;
  /** The parser of byte-range lines, one per DoFn instance (set up on first use). */
  private lines: CsvLineParser | undefined;

  constructor(
    readonly settings: ParseCsvSettings,
    /** The full label of this step, for BadRecords (set at expansion). */
    readonly step: { label: string },
  ) {}

  setup(): void {
    this.headers = new Map();
    this.readHeaders = new Map();
    this.lines = undefined;
    this.positions = undefined;
  }

  /**
   * Synchronous once csv-parse is loaded and the file's header read: a promise per record
   * (and the runner's bookkeeping of it) cost about a tenth of a read.
   */
  process(record: CsvRecordText, ctx: ProcessContext<unknown, { failures: BadRecord }>): void | Promise<void> {
    if (this.csv === undefined) {
      return loadCsvParse().then((csv) => {
        this.csv = csv;
        return this.process(record, ctx);
      });
    }
    const names = this.settings.header ? this.readHeaders.get(record.file) : undefined;
    if (this.settings.header && names === undefined) return this.header(record.file).then((read) => this.parse(record, read, ctx));
    return this.parse(record, names, ctx);
  }

  /** Parses (when not yet parsed) and converts one record, given its file's header. */
  private parse(record: CsvRecordText, names: readonly string[] | undefined, ctx: ProcessContext<unknown, { failures: BadRecord }>): void | Promise<void> {
    let value: unknown;
    try {
      if (record.error !== undefined) throw new BadCsvRecord(record.error);
      const cells = record.cells ?? this.parseLine(record.text);
      if (cells === undefined) return; // an empty or comment line
      value = this.convert(record.file, names, cells);
    } catch (err) {
      if (!(err instanceof BadCsvRecord)) throw err;
      return this.badRecord(record, err.message, ctx);
    }
    ctx.output(value);
  }

  private parseLine(text: string): CsvCells | undefined {
    try {
      this.lines ??= new CsvLineParser(this.csv!, this.settings.dialect);
      return this.lines.parse(text);
    } catch (err) {
      if (err instanceof TextIOError) throw err;
      const hint = /quote/i.test(messageOf(err)) ? ` (if quoted fields hold line breaks, read with { splittable: false })` : "";
      throw new BadCsvRecord(messageOf(err) + hint);
    }
  }

  private convert(file: string, names: readonly string[] | undefined, cells: CsvCells): unknown {
    const { shape, strict, dialect } = this.settings;
    const expected = names?.length ?? (shape.kind === "schema" ? shape.fields.length : undefined);
    if (strict && expected !== undefined && cells.length !== expected) {
      throw new BadCsvRecord(`expected ${expected} fields, got ${cells.length} (pass { strict: false } to read missing fields as null and drop extra ones)`);
    }
    if (shape.kind === "array") return cells.map((c) => (c === null ? dialect.nullValue : c));
    if (shape.kind === "keyed") {
      const out: Record<string, string> = {};
      names!.forEach((name, i) => {
        const c = cells[i];
        const cell = c === null ? dialect.nullValue : c;
        if (cell !== undefined) out[name] = cell;
      });
      return out;
    }
    const { fields } = shape;
    const positions = this.positionsOf(file, names, fields);
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const cell = cells[positions[i]!];
      if (cell === null || cell === undefined) {
        if (field.nullable) {
          row[field.name] = null;
          continue;
        }
        if (cell === undefined) throw new BadCsvRecord(`field "${field.name}" is missing and not nullable`);
      }
      try {
        row[field.name] = field.codec.parse(cell ?? dialect.nullValue);
      } catch (err) {
        throw new BadCsvRecord(`field "${field.name}": ${messageOf(err)}`);
      }
    }
    return row;
  }

  /** The last header's cell position of each schema field (records of one file come together). */
  private positions: { names: readonly string[] | undefined; at: number[] } | undefined;

  /** Where each schema field's cell is: its position, or its column's in the file's header. */
  private positionsOf(file: string, names: readonly string[] | undefined, fields: Extract<CsvShape, { kind: "schema" }>["fields"]): number[] {
    if (this.positions !== undefined && this.positions.names === names) return this.positions.at;
    const at = fields.map((field, i) => {
      if (names === undefined) return i;
      const column = names.indexOf(field.name);
      if (column < 0) {
        throw new TextIOError(
          `readCsv: the header of "${file}" has no column "${field.name}" (it has ${names.map((n) => JSON.stringify(n)).join(", ")}). ` +
            `Rename the schema field, or pass { header: false } to match columns by position.`,
          { retryable: false },
        );
      }
      return column;
    });
    this.positions = { names, at };
    return at;
  }

  /** The header of a file: its first record after skipLines (read once, shared by its byte ranges). */
  private header(file: string): Promise<string[]> {
    let names = this.headers.get(file);
    if (names === undefined) {
      names = this.readHeader(file).then((read) => {
        // Files come one after another: keep the headers of the last few only.
        if (this.readHeaders.size >= MAX_HEADERS) this.readHeaders.delete(this.readHeaders.keys().next().value!);
        this.readHeaders.set(file, read);
        return read;
      });
      if (this.headers.size >= MAX_HEADERS) this.headers.delete(this.headers.keys().next().value!);
      this.headers.set(file, names);
    }
    return names;
  }

  /** Read as the whole-file reader reads (skipLines are physical lines), up to the first record. */
  private async readHeader(file: string): Promise<string[]> {
    const reader = new CsvRecordReader(this.csv!, file, this.settings.dialect, this.settings.skipLines);
    let input: Awaited<ReturnType<typeof openFileStream>> | undefined;
    let first: CsvRecordText | undefined;
    try {
      input = await openFileStream(file, this.settings.compression);
      for await (const chunk of input.stream as AsyncIterable<Buffer>) {
        reader.write(chunk);
        first = reader.take()[0];
        if (first !== undefined) break;
      }
      if (first === undefined) {
        reader.end();
        first = reader.take()[0];
      }
    } catch (err) {
      throw new TextIOError(`readCsv: cannot read the header of "${file}" (line ${this.settings.skipLines + 1}): ${messageOf(err)}.`, { cause: err, retryable: false });
    } finally {
      await input?.close();
    }
    if (first?.error !== undefined) {
      throw new TextIOError(
        `readCsv: the header of "${file}" (line ${first.line}) is not a valid CSV record: ${first.error}. Text: ${truncate(first.text)}. ` +
          `Fix the header, or set skipLines so that the header is the first line read.`,
        { retryable: false },
      );
    }
    return (first?.cells ?? []).map((c) => c ?? this.settings.dialect.nullValue);
  }

  private async badRecord(record: CsvRecordText, reason: string, ctx: ProcessContext<unknown, { failures: BadRecord }>): Promise<void> {
    const line = record.line ?? (await this.lineNumber(record.file, record.offset ?? 0));
    const where = `line ${line} of "${record.file}"`;
    if (this.settings.deadLetter) {
      ctx.outputTo("failures", {
        step: this.step.label,
        element: { preview: truncate(record.text), encoded: new Uint8Array(Buffer.from(record.text, "utf8")), coder: stringUtf8Coder.urn },
        error: { type: "BadCsvRecord", message: reason, stack: "", description: `parsing ${where} as CSV` },
        window: ctx.window.toString(),
        timestamp: ctx.timestamp,
        attempt: 1,
        failedAt: Date.now(),
      });
      return;
    }
    throw new TextIOError(
      `readCsv: ${where} is not a valid CSV record: ${reason}. Text: ${truncate(record.text)}. ` +
        `Fix the input, or pass { invalidRecords: "deadLetter" } to send bad records to a "failures" output.`,
      { retryable: false },
    );
  }

  /** Numbering a line costs a read from the file's start: only done for a bad record. */
  private async lineNumber(file: string, offset: number): Promise<number> {
    let handle: ReadableFile | undefined;
    try {
      handle = await openReadableFile(file);
      return await lineNumberAt(handle, offset);
    } catch (err) {
      throw new TextIOError(`readCsv: cannot read "${file}" to number its lines: ${messageOf(err)}.`, { cause: err });
    } finally {
      await handle?.close();
    }
  }
}
