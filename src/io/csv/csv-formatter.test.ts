import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveDialect } from "./csv-dialect.js";
import { CsvFormatter, loadCsvStringify } from "./csv-formatter.js";
import { loadCsvParse, parserOptions } from "./csv-parser.js";

const DIALECTS = [
  resolveDialect("test", {}),
  resolveDialect("test", { delimiter: ";", quote: "'", nullValue: "NULL" }),
  resolveDialect("test", { delimiter: "\t", escape: "\\", nullValue: "\\N" }),
];

describe("CsvFormatter", () => {
  for (const dialect of DIALECTS) {
    it(`writes records csv-parse reads back cell for cell, nulls included, record after record (delimiter ${JSON.stringify(dialect.delimiter)})`, async () => {
      const csv = await loadCsvParse();
      // One formatter for every record, as one sink formats a bundle.
      const formatter = new CsvFormatter(await loadCsvStringify("test"), dialect);
      const cell = fc.oneof(fc.constant(null), fc.constantFrom("", "NULL", "\\N"), fc.string({ unit: fc.constantFrom("a", " ", ",", ";", "\t", '"', "'", "\\", "\n", "\r", "N", "é", "#") }));
      // Two or more cells: a record of one null cell ("" by default) would be an empty line, which readers skip.
      fc.assert(
        fc.property(fc.array(cell, { minLength: 2, maxLength: 5 }), (cells) => {
          const text = formatter.format(cells);
          expect(csv.parseSync(text, parserOptions(dialect))).toEqual([cells]);
        }),
        { numRuns: 500 },
      );
    });
  }

  it("quotes empty strings and nullValue look-alikes, writes null as nullValue unquoted, and no record delimiter", async () => {
    const formatter = new CsvFormatter(await loadCsvStringify("test"), resolveDialect("test", { nullValue: "NA" }));
    expect(formatter.format(["", null, "NA", "a,b", 'say "hi"'])).toBe('"",NA,"NA","a,b","say ""hi"""');
    expect(formatter.format(["x", "line\nbreak"])).toBe('x,"line\nbreak"');
    const empty = new CsvFormatter(await loadCsvStringify("test"), resolveDialect("test", {}));
    expect(empty.format([null, "", null])).toBe(',"",');
    expect(empty.format([null, "", null])).toBe(',"",');
  });
});
