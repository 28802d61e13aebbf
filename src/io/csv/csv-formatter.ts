import type { Options, Stringifier } from "csv-stringify";
import { TextIOError } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";

/** The parts of csv-stringify beam-ts uses, loaded on first use (it is an optional peer dependency). */
export interface CsvStringifyModule {
  readonly stringifier: (options: Options) => Stringifier;
}

let loading: Promise<CsvStringifyModule> | undefined;

/** Imports csv-stringify once; a missing package fails naming the package to install and the step that needs it. */
export function loadCsvStringify(what: string): Promise<CsvStringifyModule> {
  loading ??= import("csv-stringify").then(
    (module) => ({ stringifier: (options) => module.stringify(options) }),
    (err: unknown) => {
      loading = undefined;
      throw new TextIOError(`${what} needs the package "csv-stringify": run \`npm install csv-stringify\` (it is an optional peer dependency of beam-ts).`, { cause: err });
    },
  );
  return loading;
}

/**
 * A null cell on its way through csv-stringify, which writes null and undefined as an empty
 * field (quoted with `quoted_empty`), so cannot tell them from "" nor write a nullValue.
 * Its `cast.object` turns this marker into nullValue.
 */
const NULL_CELL: object = Object.freeze({ csvNull: true });

/**
 * Formats records with csv-stringify: one `Stringifier` (csv-stringify's stream) per
 * formatter, driven synchronously, since csv-stringify's sync API sets up a stringifier per
 * call (~25 µs a record, ten times the record itself). Quoting is csv-stringify's: a field is
 * quoted when it holds the delimiter, the quote, a line break, or (our `cast`) when it is
 * empty or equals nullValue, so that neither reads back as null; quotes inside are escaped
 * with the escape. A null cell is nullValue, unquoted.
 */
export class CsvFormatter {
  private readonly stringifier: Stringifier;
  private out: string[] = [];

  constructor(csv: CsvStringifyModule, dialect: CsvDialect) {
    const { delimiter, quote, escape, nullValue } = dialect;
    this.stringifier = csv.stringifier({
      delimiter,
      quote,
      escape,
      record_delimiter: "\n",
      // Quote fields holding any line break (CR, LF): with record_delimiter given, csv-stringify's default is false.
      quote_record_delimiter: true,
      cast: {
        // An empty string is quoted (per field: a null's nullValue "" must not be).
        string: (value) => (value === "" ? { value, quoted_empty: true } : value === nullValue ? { value, quoted: true } : value),
        object: (value) => (value === NULL_CELL ? nullValue : JSON.stringify(value)),
      },
    });
    // csv-stringify pushes each record synchronously as it is written; taken here.
    this.stringifier.push = (chunk: unknown): boolean => {
      if (chunk !== null) this.out.push(String(chunk));
      return true;
    };
    this.stringifier.on("error", () => {
      // Read synchronously through `errored` (format()).
    });
  }

  /** One record as text, without record delimiter. */
  format(cells: readonly (string | null)[]): string {
    this.out = [];
    this.stringifier.write(cells.map((c) => (c === null ? NULL_CELL : c)));
    const err = this.stringifier.errored;
    if (err !== null || this.out.length !== 1 || this.stringifier.writableLength > 0) {
      throw new TextIOError(`writeCsv: csv-stringify did not format a record synchronously${err === null ? "" : `: ${err.message}`} (a csv-stringify or Node.js version beam-ts does not support).`);
    }
    // csv-stringify ends every record with the record delimiter (its `eof`, the default); the text sink ends lines itself.
    const text = this.out[0]!;
    return text.endsWith("\n") ? text.slice(0, -1) : text;
  }
}
