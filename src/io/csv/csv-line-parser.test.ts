import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveDialect } from "./csv-dialect.js";
import { CsvLineParser } from "./csv-line-parser.js";
import { loadCsvParse, parserOptions } from "./csv-parser.js";

const DIALECTS = [
  resolveDialect("test", {}),
  resolveDialect("test", { delimiter: ";", quote: "'", nullValue: "NULL", comment: "#" }),
  resolveDialect("test", { delimiter: "\t", escape: "\\", nullValue: "\\N" }),
];

describe("CsvLineParser", () => {
  for (const dialect of DIALECTS) {
    it(`reads a whole input line by line as csv-parse reads each line alone, bad lines failing and not touching the next (delimiter ${JSON.stringify(dialect.delimiter)})`, async () => {
      const csv = await loadCsvParse();
      const unit = fc.constantFrom("a", "b", " ", ",", ";", "\t", '"', "'", "\\", "N", "U", "L", "#", "é");
      fc.assert(
        fc.property(fc.array(fc.string({ unit, maxLength: 12 }), { maxLength: 20 }), (lines) => {
          // One parser for the whole input, as one DoFn instance reads a byte range.
          const parser = new CsvLineParser(csv, dialect);
          for (const line of lines) {
            let expected: unknown;
            try {
              expected = { cells: csv.parseSync(line, parserOptions(dialect))[0] };
            } catch {
              expected = "error";
            }
            let actual: unknown;
            try {
              actual = { cells: parser.parse(line) };
            } catch {
              actual = "error";
            }
            expect(actual, JSON.stringify(line)).toEqual(expected);
          }
        }),
        { numRuns: 500 },
      );
    });
  }

  it("reads good, empty and quoted lines with one csv-parse parser, and makes a new one only after a bad line", async () => {
    const csv = await loadCsvParse();
    let parsers = 0;
    const counting = { ...csv, parseStream: (options: Parameters<typeof csv.parseStream>[0]) => (parsers++, csv.parseStream(options)) };
    const parser = new CsvLineParser(counting, DIALECTS[0]!);
    for (const line of ["1,a", "", '2,"b, c"', '"x""y",3', "4,"]) parser.parse(line);
    expect(parsers).toBe(1);
    expect(() => parser.parse('5,"open')).toThrow(/Quote Not Closed/);
    expect(parser.parse("6,f")).toEqual(["6", "f"]);
    expect(parsers).toBe(2);
  });

  it("gives csv-parse's reason for a bad line, without csv-parse's own line count", async () => {
    const parser = new CsvLineParser(await loadCsvParse(), DIALECTS[0]!);
    expect(parser.parse("1,2")).toEqual(["1", "2"]);
    expect(() => parser.parse('1,"open')).toThrow(/^Quote Not Closed/);
    expect(() => parser.parse('"a"b,1')).toThrow(/^Invalid Closing Quote: got "b" instead of delimiter/);
    expect(() => parser.parse('a"b,1')).toThrow(/^Invalid Opening Quote: a quote is found on field 0, value is "a"/);
    expect(parser.parse('"",')).toEqual(["", null]);
    expect(parser.parse("")).toBeUndefined();
  });
});
