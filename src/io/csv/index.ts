// CSV file IO: read CSV files as typed rows or string records, write rows as CSV (Beam's CsvIO).
export { readCsv, type CsvRecordOf, type ReadCsvOptions, type ReadCsvResult } from "./read-csv.js";
export { writeCsv, type WriteCsvOptions } from "./write-csv.js";
export { csvSink, type CsvSinkOptions } from "./csv-sink.js";
export type { CsvDialectOptions } from "./csv-dialect.js";
