import { ConstructionError, type Coder } from "../../model/index.js";
import { rowCoder } from "../../coders/index.js";
import type { PCollection, PTransform } from "../../pipeline/index.js";
import { ShardedWrite, resolveOutputPath } from "../files/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import { resolveParquetSink, type ParquetSinkOptions } from "./parquet-sink.js";

/** Options of writeParquet: parquetSink's (schema, rowGroupSize, compression, decimal), the number of files and their suffix. */
export interface WriteParquetOptions<R> extends ParquetSinkOptions<R> {
  /** A fixed number of output files; by default the runner decides (one per bundle). */
  readonly numShards?: number;
  /** Appended to every file name. Default ".parquet". */
  readonly suffix?: string;
}

/**
 * Beam's ParquetIO.sink with FileIO.write: writes rows of `options.schema` to Parquet files
 * `${prefix}-SSSSS-of-NNNNN${suffix}` and outputs the final names. Each file is parquetSink's.
 * As writeText: files go to a temporary directory next to the output and are renamed into
 * place by `finalizeWrite` (src/io/files), which replaces the previous output of the prefix
 * and writes the success marker; an empty input writes one file with no rows. Without
 * `numShards` each bundle writes one file; with it, rows are grouped into that many shards
 * (checked against the schema before, then encoded once with the schema's row coder for the shuffle). Rows are
 * buffered one row group (`rowGroupSize` rows) at a time.
 *
 * @example rows.apply(writeParquet("out/orders", { schema: Order, numShards: 2, compression: "gzip" }))
 */
export function writeParquet<R>(prefix: string, options: WriteParquetOptions<R>): PTransform<PCollection<R>, PCollection<string>> {
  const what = "writeParquet";
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`${what} needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  checkFileSystemPath(prefix, what);
  const sink = resolveParquetSink(what, options);
  const { schema, numShards, suffix = ".parquet" } = options;
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(`${what}: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`);
  }
  if (typeof suffix !== "string") throw new ConstructionError(`${what}: suffix must be a string, got ${typeof suffix}.`);
  return new ShardedWrite<R>("WriteParquet", {
    what,
    prefix: resolveOutputPath(prefix),
    suffix,
    numShards,
    // Rows are checked here, once, so the sink's files write them unchecked.
    openShard: (file, createOptions) => sink.open(file, createOptions),
    check: (row) => sink.check(row, ` to "${prefix}"`),
    // Unchecked: `check` has just checked each row against the schema before it is encoded.
    elementCoder: rowCoder(schema.schema, { name: schema.name, unchecked: true }) as Coder<unknown> as Coder<R>,
  });
}
