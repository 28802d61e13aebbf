import { ConstructionError, describeValue, type RowSchema } from "../../model/index.js";
import type { FileSink, ShardSink } from "../files/index.js";
import type { CreateOptions } from "../filesystems/index.js";
import { TextIOError, textSink, type WriteCompression } from "../text/internal.js";
import { resolveDialect, type CsvDialectOptions } from "./csv-dialect.js";
import { CsvFormatter, loadCsvStringify } from "./csv-formatter.js";
import { schemaCodecs, type CsvFieldCodec } from "./csv-values.js";

/** Options of csvSink (and the format options of writeCsv): the columns, the header and the dialect. */
export interface CsvSinkOptions<R = unknown> extends CsvDialectOptions {
  /** Rows of this schema: one column per field, in order, values written per type (see README). */
  readonly schema?: RowSchema<R>;
  /** Without a schema: the keys written, in order (values written with String(), null/undefined as nullValue). */
  readonly columns?: readonly string[];
  /** Writes the column names as the first line of every file. Default true. */
  readonly header?: boolean;
  /** "gzip" compresses every file (choose the suffix yourself, e.g. ".csv.gz"). Default "none". */
  readonly compression?: WriteCompression;
}

interface Column {
  readonly name: string;
  readonly codec: CsvFieldCodec | undefined;
}

/**
 * CSV for writeFiles: a FileSink of rows, one CSV record per row, with the header line at the
 * top of every file. Beam has no CSV sink of its own; Java pipelines write CSV with
 * `FileIO.write().via(formatFn, TextIO.sink().withHeader(header))`, which is what this is. The same records, quoting and header as writeCsv,
 * which formats through the same code (`csvLinesSink`, csv-stringify). An element that is not an object
 * fails the write naming it.
 *
 * @example trips.apply(writeFiles({ to: "out/trips", by: (t: Trip) => t.vendor, sink: csvSink({ schema: Trip }), suffix: ".csv", numShards: 2 }))
 */
export function csvSink<R>(options: CsvSinkOptions<R>): FileSink<R> {
  return csvLinesSink("csvSink", options);
}

/**
 * @internal The CSV lines of rows, and the text sink writing them: csvSink (which formats each
 * row as it writes it), and writeCsv (which formats before its shuffle, then writes `lines`).
 */
export interface CsvLinesSink<R> extends FileSink<R> {
  /** The record of one row, without terminator; a promise only until csv-stringify is loaded. */
  readonly format: (row: R) => string | Promise<string>;
  /** The sink the lines go to, with the header line at the top of every file. */
  readonly lines: FileSink<string>;
}

/**
 * @internal csvSink and writeCsv's format, checked at construction. csv-stringify (an optional
 * peer dependency) is loaded when the first row is formatted or the first file opened, so a
 * pipeline that only reads CSV does not need it; the header line is formatted then too.
 */
export function csvLinesSink<R>(what: string, options: CsvSinkOptions<R>): CsvLinesSink<R> {
  if (typeof options !== "object" || options === null) {
    throw new ConstructionError(`${what} needs { schema } or { columns: [names...] } to know the columns and their order.`);
  }
  const dialect = resolveDialect(what, { ...options, comment: undefined });
  let columns: Column[];
  if (options.schema !== undefined) {
    if (options.columns !== undefined) throw new ConstructionError(`${what}: give either schema or columns, not both.`);
    columns = schemaCodecs(what, options.schema.schema).map(({ name, codec }) => ({ name, codec }));
  } else if (Array.isArray(options.columns) && options.columns.length > 0 && options.columns.every((c) => typeof c === "string")) {
    columns = options.columns.map((name) => ({ name, codec: undefined }));
  } else {
    throw new ConstructionError(`${what} needs { schema } or { columns: [names...] } to know the columns and their order.`);
  }
  if (options.header !== undefined && typeof options.header !== "boolean") {
    throw new ConstructionError(`${what}: header must be true or false, got ${describeValue(options.header)}.`);
  }
  const { compression } = options;
  // The text sink is made when the header can be formatted (csv-stringify loaded); its options are checked now.
  textSink(compression === undefined ? {} : { compression }, what);
  // Set up on first use, in the process that writes (a formatter holds a csv-stringify stream).
  let formatter: CsvFormatter | undefined;
  let lineSink: FileSink<string> | undefined;
  const ready = async (): Promise<CsvFormatter> => (formatter ??= new CsvFormatter(await loadCsvStringify(what), dialect));
  const format = (row: R): string | Promise<string> => {
    const cells = cellsOf(what, columns, row);
    return formatter !== undefined ? formatter.format(cells) : ready().then((f) => f.format(cells));
  };
  const lines: FileSink<string> = {
    async open(file: string, createOptions?: CreateOptions): Promise<ShardSink<string>> {
      if (lineSink === undefined) {
        const header = options.header === false ? undefined : (await ready()).format(columns.map((c) => c.name));
        lineSink = textSink({ ...(header === undefined ? {} : { header }), ...(compression === undefined ? {} : { compression }) }, what);
      }
      return lineSink.open(file, createOptions);
    },
  };
  return {
    format,
    lines,
    async open(file: string, createOptions?: CreateOptions): Promise<ShardSink<R>> {
      const shard = await lines.open(file, createOptions);
      const rows = await ready();
      return {
        file: shard.file,
        write: (row) => shard.write(rows.format(cellsOf(what, columns, row))),
        close: () => shard.close(),
        abort: () => shard.abort(),
      };
    },
  };
}

function cellsOf(what: string, columns: readonly Column[], element: unknown): (string | null)[] {
  if (typeof element !== "object" || element === null) {
    throw new TextIOError(`${what} writes objects (rows), got ${describeValue(element)}. Map elements to objects with the columns first.`);
  }
  const record = element as Record<string, unknown>;
  return columns.map(({ name, codec }) => {
    const value = record[name];
    if (value === null || value === undefined) return null;
    return codec === undefined ? String(value) : codec.format(value);
  });
}
