import type { SchemaElement } from "hyparquet";
import { ConstructionError, describeValue, type RowSchema } from "../../model/index.js";
import type { FileSink, ShardSink } from "../files/index.js";
import { fileSystemFor, type CreateOptions, type WritableFile } from "../filesystems/index.js";
import { parquetSchemaOf, type DecimalSpec, type WrittenColumn } from "./beam-to-parquet.js";
import { loadHyparquetWriter, writeCodec, type ParquetCompression, type WriteCodec } from "./load-library.js";
import { ParquetIOError, messageOf } from "./parquet-io-error.js";

/** Options of parquetSink (and the format options of writeParquet). */
export interface ParquetSinkOptions<R> {
  /** The Beam schema of the rows; it becomes the files' Parquet schema. */
  readonly schema: RowSchema<R>;
  /** Rows per row group (buffered in memory until written). Default 100 000. */
  readonly rowGroupSize?: number;
  /** "snappy" (default), "gzip", "zstd" (Node ≥ 22.15) or "uncompressed". */
  readonly compression?: ParquetCompression;
  /** Precision and scale of decimal columns (Parquet's DECIMAL is fixed-scale). Default { precision: 38, scale: 9 }. */
  readonly decimal?: DecimalSpec;
}

/** What every file of one sink shares. */
interface Settings {
  readonly what: string;
  readonly rowGroupSize: number;
  readonly compression: ParquetCompression;
  readonly elements: SchemaElement[];
  readonly columns: readonly WrittenColumn[];
}

type Lib = Awaited<ReturnType<typeof loadHyparquetWriter>>;

/**
 * Beam's ParquetIO.sink(schema) (withRowGroupSize, withCompressionCodec): a FileSink for
 * writeFiles writing rows of `schema` to one Parquet file each, the files writeParquet
 * writes: rows buffered one row group (`rowGroupSize` rows) at a time, the footer written on
 * close. A row that does not fit the schema fails the write naming it and the fix.
 *
 * @example orders.apply(writeFiles({ to: "out/orders", by: (o: RowOf<typeof Order>) => o.customer, sink: parquetSink({ schema: Order }), suffix: ".parquet", numShards: 2 }))
 */
export function parquetSink<R>(options: ParquetSinkOptions<R>): FileSink<R> {
  const sink = resolveParquetSink("parquetSink", options);
  return {
    async open(file: string, createOptions?: CreateOptions): Promise<ShardSink<R>> {
      const shard = await sink.open(file, createOptions);
      return {
        file: shard.file,
        // writeFiles hands the elements over unchecked: a row that does not fit would fail in the encoder, far from its cause.
        write: (row) => shard.write(sink.check(row, ` to "${file}"`)),
        close: () => shard.close(),
        abort: () => shard.abort(),
      };
    },
  };
}

/** @internal A Parquet sink whose `open` writes rows already checked by `check` (writeParquet checks before its shuffle). */
export interface CheckedParquetSink<R> extends FileSink<R> {
  /** The row, or a ParquetIOError naming the problem, the row and where it was written. */
  check(row: unknown, where: string): R;
}

/** @internal The options of a Parquet sink checked at construction; messages start with `what` (parquetSink, writeParquet). */
export function resolveParquetSink<R>(what: string, options: ParquetSinkOptions<R>): CheckedParquetSink<R> {
  if (typeof options !== "object" || options === null || options.schema === undefined) {
    throw new ConstructionError(`${what} needs options.schema, the rows' RowSchema (e.g. schema({ id: t.int64() })).`);
  }
  const { schema, rowGroupSize = 100_000, compression = "snappy", decimal = { precision: 38, scale: 9 } } = options;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) throw new ConstructionError(`${what}: rowGroupSize must be a positive integer (rows), got ${String(rowGroupSize)}.`);
  if (!["snappy", "gzip", "zstd", "uncompressed"].includes(compression)) {
    throw new ConstructionError(`${what}: compression must be "snappy", "gzip", "zstd" or "uncompressed", got ${String(compression)}.`);
  }
  if (!Number.isInteger(decimal.precision) || decimal.precision < 1 || decimal.precision > 76 || !Number.isInteger(decimal.scale) || decimal.scale < 0 || decimal.scale > decimal.precision) {
    throw new ConstructionError(`${what}: decimal must be { precision: 1..76, scale: 0..precision }, got ${JSON.stringify(decimal)}.`);
  }
  let mapped: ReturnType<typeof parquetSchemaOf>;
  try {
    mapped = parquetSchemaOf(schema.schema, decimal);
  } catch (err) {
    throw new ConstructionError(`${what}: ${messageOf(err)}.`);
  }
  const settings: Settings = { what, rowGroupSize, compression, elements: mapped.elements, columns: mapped.columns };
  return {
    open: (file, createOptions) => ParquetShardWriter.open<R>(file, settings, createOptions),
    check(row: unknown, where: string): R {
      const problem = schema.mismatch(row);
      if (problem !== undefined) {
        throw new ParquetIOError(`${what}${where}: a row does not fit the schema: ${problem}. Row: ${describeValue(row)}. Convert the rows to the schema first.`, {
          retryable: false,
        });
      }
      return row as R;
    },
  };
}

/**
 * hyparquet-writer's byte writer, draining into a WritableFile of any file system: the
 * library encodes synchronously into the buffer and calls `flush` after each row group
 * (awaiting its promise before the next) and `finish` after the footer; both hand the
 * buffered bytes to the file, so memory holds about one row group's encoding.
 */
function fileSystemWriter(lib: Lib, out: WritableFile): InstanceType<Lib["ByteWriter"]> {
  const writer = new lib.ByteWriter();
  const drain = async (): Promise<void> => {
    if (writer.index === 0) return;
    // A copy: the library reuses its buffer from index 0 as soon as this returns.
    const bytes = new Uint8Array(writer.buffer.slice(0, writer.index));
    writer.index = 0;
    await out.write(bytes);
  };
  Object.assign(writer, { flush: drain, finish: drain });
  return writer;
}

/**
 * One Parquet file being written: each row's values are appended to its row group's columns
 * as it arrives (so the row itself dies young, and the garbage collector does not copy a
 * row group of row objects to its old generation), and a full row group (`rowGroupSize`
 * rows) is encoded and written to the file (so memory holds one row group); `close` writes
 * the footer and makes the file visible.
 */
class ParquetShardWriter<R> implements ShardSink<R> {
  private columns: unknown[][];
  private rowCount = 0;
  private readonly writer: InstanceType<Lib["ParquetWriter"]>;

  private constructor(
    readonly file: string,
    private readonly settings: Settings,
    private readonly out: WritableFile,
    lib: Lib,
    codec: WriteCodec,
  ) {
    this.writer = new lib.ParquetWriter({ writer: fileSystemWriter(lib, out), schema: settings.elements, ...codec, createdBy: "beam-ts (hyparquet-writer)" });
    this.columns = settings.columns.map(() => []);
  }

  static async open<R>(file: string, settings: Settings, options: CreateOptions = {}): Promise<ParquetShardWriter<R>> {
    const { what } = settings;
    const lib = await loadHyparquetWriter(what);
    const codec = writeCodec(settings.compression, what);
    let out: WritableFile;
    try {
      out = await (await fileSystemFor(file)).create(file, { mimeType: "application/vnd.apache.parquet", exclusive: true, ...options });
    } catch (err) {
      throw new ParquetIOError(`${what}: cannot create "${file}": ${messageOf(err)}.`, { cause: err });
    }
    return new ParquetShardWriter<R>(file, settings, out, lib, codec);
  }

  write(row: R): void | Promise<void> {
    const record = row as Record<string, unknown>;
    const { columns } = this.settings;
    const values = this.columns;
    for (let j = 0; j < columns.length; j++) {
      const { name, convert } = columns[j]!;
      const v = record[name];
      if (convert === undefined) {
        values[j]!.push(v === undefined ? null : v);
        continue;
      }
      try {
        values[j]!.push(convert(v));
      } catch (err) {
        // A row that fails leaves the columns as they were.
        for (let k = 0; k < j; k++) values[k]!.pop();
        // A value the schema accepts but Parquet's column cannot hold (a decimal with more places than `decimal`'s scale).
        throw new ParquetIOError(`${this.settings.what} to "${this.file}": ${messageOf(err)}.`, { cause: err, retryable: false });
      }
    }
    if (++this.rowCount >= this.settings.rowGroupSize) return this.flush();
  }

  private flush(): void | Promise<void> {
    if (this.rowCount === 0) return;
    const { what, columns } = this.settings;
    const columnData = columns.map((c, j) => ({ name: c.name, data: this.columns[j]! }));
    const rowGroupSize = this.rowCount;
    this.columns = columns.map(() => []);
    this.rowCount = 0;
    let written: void | Promise<void>;
    try {
      written = this.writer.write({ columnData, rowGroupSize });
    } catch (err) {
      throw new ParquetIOError(`${what}: cannot write a row group to "${this.file}": ${messageOf(err)}.`, { cause: err, retryable: false });
    }
    return written?.catch((err: unknown) => {
      throw new ParquetIOError(`${what}: cannot write a row group to "${this.file}": ${messageOf(err)}.`, { cause: err });
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.writer.finish();
      await this.out.close();
    } catch (err) {
      await this.out.abort();
      if (err instanceof ParquetIOError) throw err;
      throw new ParquetIOError(`${this.settings.what}: cannot finish "${this.file}": ${messageOf(err)}.`, { cause: err });
    }
  }

  async abort(): Promise<void> {
    await this.out.abort();
  }
}
