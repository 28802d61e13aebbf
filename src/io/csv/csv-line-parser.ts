import type { Parser } from "csv-parse";
import { TextIOError } from "../text/internal.js";
import type { CsvDialect } from "./csv-dialect.js";
import { parserOptions, type CsvCells, type CsvParseModule } from "./csv-parser.js";

/**
 * Padding written after each line. csv-parse holds back the end of what it is given until it
 * knows it is not the start of a longer token (a CRLF, an escaped quote), so a line followed
 * by one LF would come out only with the next line. The extra LFs are empty lines, which it
 * skips; csv-parse 7.0.3 gives the record with 4 of them (measured; 8 leave a margin). Only
 * speed depends on the amount: a line that gave no record is settled by ending the parser
 * (see `run`), and a test pins that good lines share one parser.
 */
const PADDING = "\n".repeat(8);

/**
 * The parser of byte-range reads, where every line is a whole record: one csv-parse parser
 * (its streaming `Parser`, driven synchronously) fed line after line, instead of csv-parse's
 * sync API, which sets up a parser per call (~0.1 ms a line). After a parse error the parser
 * is dropped and the next line gets a new one, so a bad line never touches the next.
 *
 * Nulls (an unquoted cell equal to nullValue) need to know which cells were quoted, which only
 * csv-parse's `cast` tells, and it costs ~10 µs a cell: it runs (in a second parser) only for
 * lines that hold a quote and a cell equal to nullValue. Elsewhere every cell is unquoted.
 */
export class CsvLineParser {
  private plain: LineParser | undefined;
  private casting: LineParser | undefined;

  constructor(
    private readonly csv: CsvParseModule,
    private readonly dialect: CsvDialect,
  ) {}

  /**
   * The cells of one line (without terminator); undefined for an empty or comment line.
   * Throws an Error with csv-parse's reason for a malformed line (its parser-relative line
   * number removed: the caller names the line).
   */
  parse(text: string): CsvCells | undefined {
    if (text === "") return undefined;
    const { quote, nullValue, comment } = this.dialect;
    // A comment starts at the line's start only (comment_no_infix): csv-parse would give no
    // record, and settling that costs a new parser.
    if (comment !== undefined && comment !== "" && text.startsWith(comment)) return undefined;
    const cells = this.run("plain", text);
    if (cells === undefined) return undefined;
    if (!text.includes(quote)) return cells.map((c) => (c === nullValue ? null : c));
    if (!cells.includes(nullValue)) return cells;
    return this.run("casting", text);
  }

  private run(kind: "plain" | "casting", text: string): CsvCells | undefined {
    const parser = kind === "plain" ? (this.plain ??= this.newParser(false)) : (this.casting ??= this.newParser(true));
    parser.records.length = 0;
    parser.stream.write(text + PADDING);
    let err = failure(parser.stream);
    if (err === undefined && parser.records.length === 0) {
      // No record yet: a comment line, a quote left open (the line cannot end it), or csv-parse
      // still holding the record back. Ending the parser settles which, in csv-parse's words.
      parser.stream.end();
      err = failure(parser.stream);
      this.drop(kind);
    }
    if (err !== undefined) {
      this.drop(kind);
      throw new Error(err.message.replace(/ at line \d+/, ""));
    }
    if (parser.records.length > 1) {
      throw new TextIOError(`readCsv: csv-parse read ${parser.records.length} records from one line (a csv-parse version beam-ts does not support).`);
    }
    return parser.records[0];
  }

  private drop(kind: "plain" | "casting"): void {
    if (kind === "plain") this.plain = undefined;
    else this.casting = undefined;
  }

  private newParser(cast: boolean): LineParser {
    // Lines hold no line breaks (the byte-range reader split them): LF is the only record delimiter.
    const stream = this.csv.parseStream({ ...parserOptions(this.dialect, cast), record_delimiter: "\n" });
    const records: CsvCells[] = [];
    // csv-parse pushes each record synchronously; taken here, as the record reader does.
    stream.push = (record: unknown): boolean => {
      if (record !== null) records.push(record as CsvCells);
      return true;
    };
    stream.on("error", () => {
      // Read synchronously through `errored` (failure()).
    });
    return { stream, records };
  }
}

interface LineParser {
  readonly stream: Parser;
  readonly records: CsvCells[];
}

/** The error the parser stopped on, if any; loud if csv-parse ever stops parsing synchronously. */
function failure(parser: Parser): Error | undefined {
  if (parser.errored !== null) return parser.errored;
  if (parser.writableLength > 0) {
    throw new TextIOError(`readCsv: csv-parse did not parse a line synchronously (a csv-parse or Node.js version beam-ts does not support).`);
  }
  return undefined;
}
