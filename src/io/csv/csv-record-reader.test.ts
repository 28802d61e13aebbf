import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveDialect, type CsvDialect } from "./csv-dialect.js";
import { CsvFormatter, loadCsvStringify } from "./csv-formatter.js";
import { loadCsvParse, parserOptions } from "./csv-parser.js";
import { CsvRecordReader } from "./csv-record-reader.js";
import type { CsvRecordText } from "./parse-csv-do-fn.js";

const RFC = resolveDialect("test", {});

/** Reads `text` through a CsvRecordReader, given in chunks cut at `cuts` (byte offsets). */
async function read(text: string, dialect: CsvDialect = RFC, skipLines = 0, cuts: number[] = []): Promise<CsvRecordText[]> {
  const reader = new CsvRecordReader(await loadCsvParse(), "f.csv", dialect, skipLines);
  const bytes = Buffer.from(text, "utf8");
  const out: CsvRecordText[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)) {
    reader.write(bytes.subarray(from, cut));
    out.push(...reader.take());
    from = cut;
  }
  if (from < bytes.length) reader.write(bytes.subarray(from));
  reader.end();
  out.push(...reader.take());
  return out;
}

/** A record as [line, text, cells or "bad"], for comparison. */
const brief = (r: CsvRecordText): [number | undefined, string, unknown] => [r.line, r.text, r.error === undefined ? r.cells : "bad"];

describe("CsvRecordReader", () => {
  it("keeps every good record after an invalid closing quote (the record csv-parse's skip_records_with_error lost)", async () => {
    const records = await read('a,b\n"x"y,1\nc,d\n');
    expect(records.map(brief)).toEqual([
      [1, "a,b", ["a", "b"]],
      [2, '"x"y,1', "bad"],
      [3, "c,d", ["c", "d"]],
    ]);
    expect(records[1]!.error).toMatch(/Invalid Closing Quote: got "y" at line 2/);
  });

  it("takes a quote left open as a bad first line and reads the lines it swallowed again", async () => {
    // csv-parse reads lines 2-4 as one record (the quote closes on line 4) and drops "2,3".
    const records = await read('a,b\n1,"open\n2,3\n4,"x"y\n5,6\n');
    expect(records.map(brief)).toEqual([
      [1, "a,b", ["a", "b"]],
      [2, '1,"open', "bad"],
      [3, "2,3", ["2", "3"]],
      [4, '4,"x"y', "bad"],
      [5, "5,6", ["5", "6"]],
    ]);
    expect(records[1]!.error).toMatch(/at line 4.*the record starting on line 2 is taken to be that line alone, and reading resumes on line 3/);
  });

  it("reads the lines after a quote left open at the end of the file, and a quote in an unquoted field", async () => {
    expect((await read('a,b\n"open,1\ne,f\nx"y,z\ng,h')).map(brief)).toEqual([
      [1, "a,b", ["a", "b"]],
      [2, '"open,1', "bad"],
      [3, "e,f", ["e", "f"]],
      [4, 'x"y,z', "bad"],
      [5, "g,h", ["g", "h"]],
    ]);
  });

  it("numbers records across skipped physical lines, empty and comment lines, CRLF and quoted line breaks", async () => {
    const dialect = resolveDialect("test", { comment: "#" });
    const text = 'Report "Q1" (a preamble line with a quote)\r\nid,v\r\n\r\n# note\r\n"x\r\ny",1\r\n"bad"q\r\n\r\n2,3';
    expect((await read(text, dialect, 1)).map(brief)).toEqual([
      [2, "id,v", ["id", "v"]],
      [5, '"x\r\ny",1', ["x\r\ny", "1"]],
      [7, '"bad"q', "bad"],
      [9, "2,3", ["2", "3"]],
    ]);
  });

  it("finds every record whatever the chunk boundaries (CRLF and multi-byte characters cut in two)", async () => {
    const text = 'é,"b\r\nc"\r\n"x"é,1\r\n1,"ö\r\n2,3\r\n';
    const whole = await read(text);
    expect(whole.map(brief)).toEqual([
      [1, 'é,"b\r\nc"', ["é", "b\r\nc"]],
      [3, '"x"é,1', "bad"],
      [4, '1,"ö', "bad"],
      [5, "2,3", ["2", "3"]],
    ]);
    const size = Buffer.byteLength(text);
    for (let cut = 1; cut < size; cut++) expect((await read(text, RFC, 0, [cut])).map(brief)).toEqual(whole.map(brief));
  });

  const dialects = [RFC, resolveDialect("test", { delimiter: ";", quote: "'", nullValue: "NULL", comment: "#" })];
  for (const dialect of dialects) {
    it(`accounts for every line of a file with malformed lines: each good record once, each bad line once, by line (delimiter ${JSON.stringify(dialect.delimiter)})`, async () => {
      const csv = await loadCsvParse();
      const formatter = new CsvFormatter(await loadCsvStringify("test"), dialect);
      const q = dialect.quote;
      const d = dialect.delimiter;
      const word = fc.stringMatching(/^[a-zé]{1,3}$/);
      // A cell that starts with a letter (or is empty): a quote opened by a malformed line can then
      // never close validly on a good line, so where each record starts is not ambiguous.
      const cell = fc.oneof(word, fc.constant(""), fc.tuple(word, fc.constantFrom(d, " ", "\n", `${q}`), word).map((p) => p.join("")));
      const good = fc.array(cell, { minLength: 2, maxLength: 3 }).map((cells) => ({ kind: "good" as const, text: formatter.format(cells) }));
      const bad = fc.oneof(
        word.map((w) => `${q}${w}${q}x${d}1`), // Invalid Closing Quote
        word.map((w) => `${w}${q}x${d}1`), // Invalid Opening Quote
        word.map((w) => `${w}${d}${q}open`), // Quote Not Closed (or closed by a later line: still this line alone)
      ).map((text) => ({ kind: "bad" as const, text }));
      const other = fc.constantFrom({ kind: "skip" as const, text: "" }, { kind: "skip" as const, text: "# a comment" });
      const line = fc.oneof({ weight: 5, arbitrary: good }, { weight: 2, arbitrary: bad }, { weight: 1, arbitrary: other });
      await fc.assert(
        fc.asyncProperty(fc.array(line, { maxLength: 14 }), fc.constantFrom("\n", "\r\n"), fc.boolean(), fc.array(fc.nat(200), { maxLength: 4 }), async (lines, eol, finalEol, cuts) => {
          const items = dialect.comment === undefined ? lines.filter((l) => l.text !== "# a comment") : lines;
          const text = items.map((l) => l.text.replaceAll("\n", eol)).join(eol) + (finalEol ? eol : "");
          const expected: [number, string, unknown][] = [];
          let lineNo = 1;
          for (const item of items) {
            const own = item.text.replaceAll("\n", eol);
            if (item.kind === "good") expected.push([lineNo, own, csv.parseSync(own, parserOptions(dialect))[0]]);
            if (item.kind === "bad") expected.push([lineNo, own, "bad"]);
            lineNo += item.text.split("\n").length;
          }
          expect((await read(text, dialect, 0, cuts)).map(brief)).toEqual(expected);
        }),
        { numRuns: 400 },
      );
    });
  }
});
