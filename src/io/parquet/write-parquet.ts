import type { SchemaElement } from "hyparquet";
import { ConstructionError, type Coder, type RowSchema } from "../../model/index.js";
import { rowCoder } from "../../coders/index.js";
import type { PCollection, PTransform } from "../../pipeline/index.js";
import { ShardedWrite, resolveOutputPath, type ShardSink } from "../files/index.js";
import { checkFileSystemPath, fileSystemFor, type CreateOptions, type WritableFile } from "../filesystems/index.js";
import { parquetSchemaOf, type DecimalSpec } from "./beam-to-parquet.js";
import { loadHyparquetWriter, writeCodec, type ParquetCompression, type WriteCodec } from "./load-library.js";
import { ParquetIOError, messageOf } from "./parquet-io-error.js";

/** Options of writeParquet. */
export interface WriteParquetOptions<R> {
  /** The Beam schema of the rows; it becomes the files' Parquet schema. */
  readonly schema: RowSchema<R>;
  /** Rows per row group (buffered in memory until written). Default 100 000. */
  readonly rowGroupSize?: number;
  /** "snappy" (default), "gzip", "zstd" (Node ≥ 22.15) or "uncompressed". */
  readonly compression?: ParquetCompression;
  /** A fixed number of output files; by default the runner decides (one per bundle). */
  readonly numShards?: number;
  /** Appended to every file name. Default ".parquet". */
  readonly suffix?: string;
  /** Precision and scale of decimal columns (Parquet's DECIMAL is fixed-scale). Default { precision: 38, scale: 9 }. */
  readonly decimal?: DecimalSpec;
}

/** What every file of one write shares. */
interface Settings {
  readonly prefix: string;
  readonly rowGroupSize: number;
  readonly compression: ParquetCompression;
  readonly elements: SchemaElement[];
  readonly columns: { name: string; convert: (v: unknown) => unknown }[];
}

type Lib = Awaited<ReturnType<typeof loadHyparquetWriter>>;

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
 * One Parquet file being written: rows are buffered up to `rowGroupSize`, then encoded as a
 * row group and written to the file (so memory holds one row group); `close` writes the
 * footer and makes the file visible.
 */
class ParquetShardWriter<R> implements ShardSink<R> {
  private rows: Record<string, unknown>[] = [];
  private readonly writer: InstanceType<Lib["ParquetWriter"]>;

  private constructor(
    readonly file: string,
    private readonly settings: Settings,
    private readonly out: WritableFile,
    lib: Lib,
    codec: WriteCodec,
  ) {
    this.writer = new lib.ParquetWriter({ writer: fileSystemWriter(lib, out), schema: settings.elements, ...codec, createdBy: "beam-ts (hyparquet-writer)" });
  }

  static async open<R>(file: string, settings: Settings, options: CreateOptions = {}): Promise<ParquetShardWriter<R>> {
    const lib = await loadHyparquetWriter("writeParquet");
    const codec = writeCodec(settings.compression, "writeParquet");
    let out: WritableFile;
    try {
      out = await (await fileSystemFor(file)).create(file, { mimeType: "application/vnd.apache.parquet", exclusive: true, ...options });
    } catch (err) {
      throw new ParquetIOError(`writeParquet: cannot create "${file}": ${messageOf(err)}.`, { cause: err });
    }
    return new ParquetShardWriter<R>(file, settings, out, lib, codec);
  }

  write(row: R): void | Promise<void> {
    this.rows.push(row as Record<string, unknown>);
    if (this.rows.length >= this.settings.rowGroupSize) return this.flush();
  }

  private flush(): void | Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    let written: void | Promise<void>;
    try {
      const columnData = this.settings.columns.map((c) => ({ name: c.name, data: rows.map((r) => c.convert(r[c.name])) }));
      written = this.writer.write({ columnData, rowGroupSize: rows.length });
    } catch (err) {
      throw new ParquetIOError(`writeParquet: cannot write a row group to "${this.file}": ${messageOf(err)}.`, { cause: err, retryable: false });
    }
    return written?.catch((err: unknown) => {
      throw new ParquetIOError(`writeParquet: cannot write a row group to "${this.file}": ${messageOf(err)}.`, { cause: err });
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
      throw new ParquetIOError(`writeParquet: cannot finish "${this.file}": ${messageOf(err)}.`, { cause: err });
    }
  }

  async abort(): Promise<void> {
    await this.out.abort();
  }
}

/**
 * Beam's ParquetIO.sink with FileIO.write: writes rows of `options.schema` to Parquet files
 * `${prefix}-SSSSS-of-NNNNN${suffix}` and outputs the final names. As writeText: files go to
 * a temporary directory next to the output and are renamed into place by `finalizeWrite`
 * (src/io/files), which replaces the previous output of the prefix and writes the success
 * marker; an empty input writes one file with no rows. Without `numShards` each bundle writes
 * one file; with it, rows are grouped into that many shards. Rows are buffered one row group
 * (`rowGroupSize` rows) at a time.
 *
 * @example rows.apply(writeParquet("out/orders", { schema: Order, numShards: 2, compression: "gzip" }))
 */
export function writeParquet<R>(prefix: string, options: WriteParquetOptions<R>): PTransform<PCollection<R>, PCollection<string>> {
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`writeParquet needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  checkFileSystemPath(prefix, "writeParquet");
  const { schema, numShards, rowGroupSize = 100_000, compression = "snappy", suffix = ".parquet", decimal = { precision: 38, scale: 9 } } = options;
  if (schema === undefined) throw new ConstructionError(`writeParquet needs options.schema, the rows' RowSchema (e.g. schema({ id: t.int64() })).`);
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(`writeParquet: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`);
  }
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) throw new ConstructionError(`writeParquet: rowGroupSize must be a positive integer (rows), got ${String(rowGroupSize)}.`);
  if (!["snappy", "gzip", "zstd", "uncompressed"].includes(compression)) {
    throw new ConstructionError(`writeParquet: compression must be "snappy", "gzip", "zstd" or "uncompressed", got ${String(compression)}.`);
  }
  if (!Number.isInteger(decimal.precision) || decimal.precision < 1 || decimal.precision > 76 || !Number.isInteger(decimal.scale) || decimal.scale < 0 || decimal.scale > decimal.precision) {
    throw new ConstructionError(`writeParquet: decimal must be { precision: 1..76, scale: 0..precision }, got ${JSON.stringify(decimal)}.`);
  }
  let mapped: ReturnType<typeof parquetSchemaOf>;
  try {
    mapped = parquetSchemaOf(schema.schema, decimal);
  } catch (err) {
    throw new ConstructionError(`writeParquet: ${messageOf(err)}.`);
  }
  const wrap = (convert: (v: unknown) => unknown) => (v: unknown) => {
    try {
      return convert(v);
    } catch (err) {
      throw new ParquetIOError(`writeParquet to "${prefix}": ${messageOf(err)}.`, { cause: err, retryable: false });
    }
  };
  const settings: Settings = {
    prefix: resolveOutputPath(prefix),
    rowGroupSize,
    compression,
    elements: mapped.elements,
    columns: mapped.columns.map((c) => ({ name: c.name, convert: wrap(c.convert) })),
  };
  return new ShardedWrite<R>("WriteParquet", {
    what: "writeParquet",
    prefix: settings.prefix,
    suffix,
    numShards,
    openShard: (file, createOptions) => ParquetShardWriter.open(file, settings, createOptions),
    check: (row) => {
      const problem = schema.mismatch(row);
      if (problem !== undefined) {
        throw new ParquetIOError(`writeParquet to "${prefix}": a row does not fit the schema: ${problem}. Convert the rows to the schema first.`, { retryable: false });
      }
      return row as R;
    },
    elementCoder: rowCoder(schema.schema, { name: schema.name }) as Coder<unknown> as Coder<R>,
  });
}
