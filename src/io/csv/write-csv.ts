import { stringUtf8Coder } from "../../coders/index.js";
import { ConstructionError } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { map } from "../../transforms/index.js";
import { ShardedWrite, resolveOutputPath } from "../files/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import { csvLinesSink, type CsvSinkOptions } from "./csv-sink.js";

/** Options of writeCsv: csvSink's (columns, header, dialect, compression), the number of files and their suffix. */
export interface WriteCsvOptions<R = unknown> extends CsvSinkOptions<R> {
  /**
   * A fixed number of output files (per window and pane for an unbounded input, where it is
   * required); by default the runner decides (one per bundle).
   */
  readonly numShards?: number;
  /** Appended to every file name. Default ".csv". */
  readonly suffix?: string;
}

/**
 * Writes rows as CSV files `${prefix}-SSSSS-of-NNNNN.csv`, with writeText's sharding,
 * temporary files renamed into place and success marker, and outputs the final file names.
 * Columns are the schema's fields (or `columns`); a header line names them (`header: false`
 * leaves it out). Records are formatted by csv-stringify (an optional peer dependency): fields
 * holding the delimiter, quote, a line break, empty strings and nullValue look-alikes are
 * quoted; null is `nullValue` unquoted (default empty). Records end with
 * "\n"; line breaks inside fields are kept inside quotes (read such files with
 * `splittable: false`). The files are csvSink's: rows are formatted by its format before the
 * shuffle of `numShards` (so the lines are shuffled, whatever the rows' coder) and written by
 * its line sink.
 *
 * @example trips.apply(writeCsv("out/trips", { schema: Trip, numShards: 4 }))
 */
export function writeCsv<R>(prefix: string, options: WriteCsvOptions<R>): PTransform<PCollection<R>, PCollection<string>> {
  const what = "writeCsv";
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`${what} needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  checkFileSystemPath(prefix, what);
  const sink = csvLinesSink(what, options);
  const { numShards, suffix = ".csv" } = options;
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(`${what}: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`);
  }
  if (typeof suffix !== "string") throw new ConstructionError(`${what}: suffix must be a string, got ${typeof suffix}.`);
  const write = new ShardedWrite<string>("WriteText", {
    what,
    prefix: resolveOutputPath(prefix),
    suffix,
    numShards,
    openShard: (file, createOptions) => sink.lines.open(file, createOptions),
    // The lines come from the ToCsv step, so they are strings.
    check: (line) => line as string,
    elementCoder: stringUtf8Coder,
  });
  return new WriteCsv<R>(sink.format, write);
}

class WriteCsv<R> extends PTransform<PCollection<R>, PCollection<string>> {
  constructor(
    private readonly format: (row: R) => string | Promise<string>,
    private readonly write: PTransform<PCollection<string>, PCollection<string>>,
  ) {
    super("WriteCsv");
  }
  expand(input: PCollection<R>): PCollection<string> {
    return input.apply("ToCsv", map(this.format)).apply("WriteText", this.write);
  }
}
