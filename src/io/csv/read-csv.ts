import { ConstructionError, type RowSchema } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { parDo, splittableParDo, type BadRecord, type DoFn, type WithFailures } from "../../transforms/index.js";
import {
  ReadFileLinesFn,
  StatFilesDoFn,
  matchFiles,
  resolveReadOptions,
  type EmptyMatchTreatment,
  type FileLine,
  type ReadCompression,
  type ResolvedReadOptions,
} from "../text/internal.js";
import { resolveDialect, type CsvDialectOptions } from "./csv-dialect.js";
import { schemaCodecs } from "./csv-values.js";
import { ParseCsvDoFn, type CsvRecordText, type CsvShape, type ParseCsvSettings } from "./parse-csv-do-fn.js";
import { ReadCsvFileFn } from "./read-csv-file-fn.js";

/** Options of readCsv. */
export interface ReadCsvOptions<R = unknown> extends CsvDialectOptions {
  /** Typed rows of this schema (fields converted per type, see README); the output carries it (withSchema). */
  readonly schema?: RowSchema<R>;
  /**
   * The first record of each file (after skipLines) is a header. Default true. With a schema,
   * columns are matched to fields by name; without, records are keyed by it. With `false`,
   * schema fields are matched by position, and without a schema records are arrays of strings.
   */
  readonly header?: boolean;
  /** Lines starting with this character are skipped. Default: none. */
  readonly comment?: string;
  /** Lines to skip at the start of each file, before the header. Default 0. */
  readonly skipLines?: number;
  /** A record whose field count differs from the header's (or schema's) is bad (default); `false` pads with null and drops extras. */
  readonly strict?: boolean;
  /**
   * true (default, as Beam Python's ReadFromCsv): every line is a whole record, so files are
   * read in byte ranges. Set false when quoted fields hold line breaks: each file is then read
   * whole by one worker.
   */
  readonly splittable?: boolean;
  /** "fail" (default) fails the job on a bad record; "deadLetter" sends it to `failures`. */
  readonly invalidRecords?: "fail" | "deadLetter";
  /** "auto" (default) gunzips files ending in ".gz"; "gzip" all; "none" none. */
  readonly compression?: ReadCompression;
  /** "disallow" (default) fails the job when nothing matches the pattern. */
  readonly emptyMatch?: EmptyMatchTreatment;
  /** A line that is not UTF-8: "fail" (default) or "replace" (U+FFFD, counted). */
  readonly invalidUtf8?: "fail" | "replace";
}

/** The element type readCsv gives for options O. */
export type CsvRecordOf<O> = O extends { readonly schema: RowSchema<infer R> } ? R : O extends { readonly header: false } ? string[] : Record<string, string>;

/** readCsv's output for options O: `{ output, failures }` with `invalidRecords: "deadLetter"`. */
export type ReadCsvResult<O> = O extends { readonly invalidRecords: "deadLetter" } ? WithFailures<PCollection<CsvRecordOf<O>>> : PCollection<CsvRecordOf<O>>;

/**
 * Reads CSV files matching `filePattern` (expanded when the pipeline runs, as readText).
 * With a `schema`, each record becomes a typed row (int64 → bigint, decimal → BigDecimal,
 * timestamps → Instant ms; see the README for the text forms) and the output has the schema;
 * without, records are keyed by the header (or arrays with `header: false`). A bad record
 * fails the job naming the file, line, text and reason, unless `invalidRecords: "deadLetter"`
 * (the result is then `{ output, failures }`).
 *
 * @example
 * const Trip = schema({ id: t.int64(), fare: t.decimal(), at: t.timestamp(), note: t.string().nullable() });
 * const trips = p.apply(readCsv("trips/*.csv", { schema: Trip }));
 * @example const { output, failures } = p.apply(readCsv("in/*.csv", { invalidRecords: "deadLetter" }));
 */
export function readCsv<const O extends ReadCsvOptions = ReadCsvOptions>(filePattern: string, options?: O): PTransform<PBegin, ReadCsvResult<O>> {
  const opts: ReadCsvOptions = options ?? {};
  const base = resolveReadOptions("readCsv", filePattern, { skipHeaderLines: opts.skipLines ?? 0, compression: opts.compression ?? "auto", emptyMatch: opts.emptyMatch ?? "disallow", invalidUtf8: opts.invalidUtf8 ?? "fail" });
  if (base.invalidUtf8 === "deadLetter") throw new ConstructionError(`readCsv: invalidUtf8 must be "fail" or "replace".`);
  const dialect = resolveDialect("readCsv", opts);
  const invalidRecords = opts.invalidRecords ?? "fail";
  if (invalidRecords !== "fail" && invalidRecords !== "deadLetter") {
    throw new ConstructionError(`readCsv: invalidRecords must be "fail" or "deadLetter", got ${String(invalidRecords)}.`);
  }
  for (const flag of ["header", "strict", "splittable"] as const) {
    if (opts[flag] !== undefined && typeof opts[flag] !== "boolean") throw new ConstructionError(`readCsv: ${flag} must be true or false, got ${String(opts[flag])}.`);
  }
  const header = opts.header ?? true;
  const shape: CsvShape = opts.schema !== undefined ? { kind: "schema", fields: schemaCodecs("readCsv", opts.schema.schema) } : header ? { kind: "keyed" } : { kind: "array" };
  const settings: ParseCsvSettings = {
    dialect,
    shape,
    header,
    skipLines: base.skipHeaderLines,
    strict: opts.strict ?? true,
    compression: base.compression,
    deadLetter: invalidRecords === "deadLetter",
  };
  return new ReadCsv(filePattern, base, settings, opts.splittable ?? true, opts.schema) as unknown as PTransform<PBegin, ReadCsvResult<O>>;
}

function toRecordText(file: string, line: FileLine): CsvRecordText {
  return line.line !== undefined ? { file, text: line.text, line: line.line } : { file, text: line.text, offset: line.offset ?? 0 };
}

type ReadCsvOutput = PCollection<unknown> | WithFailures<PCollection<unknown>>;

class ReadCsv extends PTransform<PBegin, ReadCsvOutput> {
  constructor(
    private readonly pattern: string,
    private readonly read: ResolvedReadOptions,
    private readonly settings: ParseCsvSettings,
    private readonly splittable: boolean,
    private readonly rowSchema: RowSchema<unknown> | undefined,
  ) {
    super("ReadCsv");
  }

  expand(input: PBegin): ReadCsvOutput {
    const { header, skipLines, dialect, compression, deadLetter } = this.settings;
    const files = input
      .apply("MatchFiles", matchFiles(this.pattern, { emptyMatch: this.read.emptyMatch }))
      .apply("StatFiles", parDo(new StatFilesDoFn()));
    // Byte ranges skip the header line themselves (every range finds where it ends); the whole-file reader skips its first record.
    const records: PCollection<CsvRecordText> = this.splittable
      ? files.apply("ReadLines", splittableParDo(new ReadFileLinesFn({ ...this.read, skipHeaderLines: skipLines + (header ? 1 : 0) }, toRecordText)))
      : files.apply("ReadFiles", splittableParDo(new ReadCsvFileFn(dialect, skipLines, header, compression, this.read.invalidUtf8 === "replace" ? "replace" : "fail")));
    const step = { label: `${input.pipeline.currentLabel()}/ParseCsv` };
    const fn = new ParseCsvDoFn(this.settings, step);
    if (!deadLetter) {
      const output = records.apply("ParseCsv", parDo<CsvRecordText, unknown>(fn as DoFn<CsvRecordText, unknown>));
      return this.rowSchema === undefined ? output : output.withSchema(this.rowSchema);
    }
    const parsed = records.apply("ParseCsv", parDo<CsvRecordText, unknown, { failures: BadRecord }>(fn, { outputs: ["failures"] }));
    const failures: PCollection<BadRecord> = parsed.failures;
    return { output: this.rowSchema === undefined ? parsed.main : parsed.main.withSchema(this.rowSchema), failures };
  }
}
