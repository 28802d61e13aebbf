import type { Options, Parser } from "csv-parse";
import { TextIOError } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";

/** A parsed record's cells: null for an unquoted cell equal to the dialect's nullValue. */
export type CsvCells = (string | null)[];

/** The parts of csv-parse beam-ts uses, loaded on first use (it is an optional peer dependency). */
export interface CsvParseModule {
  readonly parseSync: (input: string, options: Options) => CsvCells[];
  readonly parseStream: (options: Options) => Parser;
}

let loading: Promise<CsvParseModule> | undefined;

/** Imports csv-parse once; a missing package fails naming the package to install. */
export function loadCsvParse(): Promise<CsvParseModule> {
  loading ??= Promise.all([import("csv-parse/sync"), import("csv-parse")]).then(
    ([sync, stream]) => ({
      parseSync: (input, options) => sync.parse(input, options) as CsvCells[],
      parseStream: (options) => stream.parse(options),
    }),
    (err: unknown) => {
      loading = undefined;
      throw new TextIOError(`readCsv needs the package "csv-parse": run \`npm install csv-parse\` (it is an optional peer dependency of beam-ts).`, { cause: err });
    },
  );
  return loading;
}

/**
 * csv-parse options for a dialect. Column counts are checked by beam-ts (so a short record is
 * a bad record, not a parser failure), empty lines are skipped, and (with `nulls`) an unquoted
 * cell equal to nullValue becomes null (a quoted one never does).
 */
export function parserOptions(dialect: CsvDialect, nulls = true): Options {
  const { delimiter, quote, escape, comment, nullValue } = dialect;
  return {
    delimiter,
    quote,
    escape,
    ...(comment === undefined ? {} : { comment, comment_no_infix: true }),
    // LF, CRLF and CR each end a record, mixed in one file too (as Commons CSV under Beam
    // Java's CsvIO and Python's csv module read): csv-parse on its own takes the first
    // terminator it meets for the whole file, and reads a later other one as field text.
    record_delimiter: ["\r\n", "\n", "\r"],
    relax_column_count: true,
    skip_empty_lines: true,
    // csv-parse's cast costs ~10 µs a cell: whole-file reads find nulls themselves (cellsOf).
    ...(nulls ? { cast: (value: string, context: { quoting: boolean }) => (!context.quoting && value === nullValue ? null : value) } : {}),
  };
}
