import { ConstructionError, describeValue, type RowSchema } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { map } from "../../transforms/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import { TextIOError, writeText, type WriteTextOptions } from "../text/internal.js";
import { formatRecord, resolveDialect, type CsvDialect, type CsvDialectOptions } from "./csv-dialect.js";
import { schemaCodecs, type CsvFieldCodec } from "./csv-values.js";

/** Options of writeCsv: the dialect, the columns, and writeText's naming, sharding and compression. */
export interface WriteCsvOptions<R = unknown> extends CsvDialectOptions, Omit<WriteTextOptions, "header" | "footer" | "suffix"> {
  /** Rows of this schema: one column per field, in order, values written per type (see README). */
  readonly schema?: RowSchema<R>;
  /** Without a schema: the keys written, in order (values written with String(), null/undefined as nullValue). */
  readonly columns?: readonly string[];
  /** Writes the column names as the first line of every file. Default true. */
  readonly header?: boolean;
  /** Appended to every file name. Default ".csv". */
  readonly suffix?: string;
}

interface Column {
  readonly name: string;
  readonly codec: CsvFieldCodec | undefined;
}

function cellsOf(columns: readonly Column[], element: unknown): (string | null)[] {
  if (typeof element !== "object" || element === null) {
    throw new TextIOError(`writeCsv writes objects (rows), got ${describeValue(element)}. Map elements to objects with the columns first.`);
  }
  const record = element as Record<string, unknown>;
  return columns.map(({ name, codec }) => {
    const value = record[name];
    if (value === null || value === undefined) return null;
    return codec === undefined ? String(value) : codec.format(value);
  });
}

/**
 * Writes rows as CSV files `${prefix}-SSSSS-of-NNNNN.csv`, through writeText (the same
 * sharding, temporary files renamed into place and success marker) and outputs the final
 * file names. Columns are the schema's fields (or `columns`); a header line names them
 * (`header: false` leaves it out). Quoting is RFC 4180: fields holding the delimiter, quote,
 * a line break, or empty strings are quoted; null is `nullValue` unquoted (default empty).
 * Records end with "\n"; line breaks inside fields are kept inside quotes (read such files
 * with `splittable: false`).
 *
 * @example trips.apply(writeCsv("out/trips", { schema: Trip, numShards: 4 }))
 */
export function writeCsv<R>(prefix: string, options: WriteCsvOptions<R>): PTransform<PCollection<R>, PCollection<string>> {
  checkFileSystemPath(prefix, "writeCsv");
  const dialect = resolveDialect("writeCsv", { ...options, comment: undefined });
  let columns: Column[];
  if (options.schema !== undefined) {
    if (options.columns !== undefined) throw new ConstructionError(`writeCsv: give either schema or columns, not both.`);
    columns = schemaCodecs("writeCsv", options.schema.schema).map(({ name, codec }) => ({ name, codec }));
  } else if (Array.isArray(options.columns) && options.columns.length > 0 && options.columns.every((c) => typeof c === "string")) {
    columns = options.columns.map((name) => ({ name, codec: undefined }));
  } else {
    throw new ConstructionError(`writeCsv needs { schema } or { columns: [names...] } to know the columns and their order.`);
  }
  const headerLine = options.header === false ? undefined : formatRecord(columns.map((c) => c.name), dialect);
  const write = writeText(prefix, {
    suffix: options.suffix ?? ".csv",
    ...(options.numShards === undefined ? {} : { numShards: options.numShards }),
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(headerLine === undefined ? {} : { header: headerLine }),
  });
  return new WriteCsv<R>(columns, dialect, write);
}

class WriteCsv<R> extends PTransform<PCollection<R>, PCollection<string>> {
  constructor(
    private readonly columns: readonly Column[],
    private readonly dialect: CsvDialect,
    private readonly write: PTransform<PCollection<string>, PCollection<string>>,
  ) {
    super("WriteCsv");
  }
  expand(input: PCollection<R>): PCollection<string> {
    const { columns, dialect } = this;
    return input.apply("ToCsv", map((row: R) => formatRecord(cellsOf(columns, row), dialect))).apply("WriteText", this.write);
  }
}
