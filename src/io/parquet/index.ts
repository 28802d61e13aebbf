// Parquet file IO (Beam's ParquetIO): readParquet with projection, row-group splitting and predicate pushdown; writeParquet and parquetSink (for writeFiles).
export {
  inferParquetSchema,
  readParquet,
  PARQUET_METRICS_NAMESPACE,
  ROW_GROUPS_READ,
  ROW_GROUPS_SKIPPED,
  BYTES_READ,
  type ReadParquetOptions,
} from "./read-parquet.js";
export { writeParquet, type WriteParquetOptions } from "./write-parquet.js";
export { parquetSink, type ParquetSinkOptions } from "./parquet-sink.js";
export type { ColumnPredicate, ParquetFilter, PredicateValue } from "./row-group-filter.js";
export type { DecimalSpec } from "./beam-to-parquet.js";
export type { ParquetCompression } from "./load-library.js";
export type { BadParquetData, InvalidDataTreatment } from "./bad-data.js";
export { ParquetIOError } from "./parquet-io-error.js";
