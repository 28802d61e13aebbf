import type { CsvDialect } from "./csv-dialect.js";
import type { CsvCells } from "./csv-parser.js";

/**
 * Parses one physical line as one CSV record, as csv-parse does with the options of
 * `parserOptions` (a differential test pins that): the reader of byte ranges, where every
 * line is a whole record. csv-parse's sync API builds a parser per call (about 0.1 ms), which
 * made split reads 5x slower than whole-file reads; this runs once per line without setup.
 *
 * Returns undefined for an empty or comment line; throws an Error (the reason) for a quote
 * left open, a character after a closing quote, or a quote inside an unquoted field.
 */
export function parseCsvLine(text: string, dialect: CsvDialect): CsvCells | undefined {
  const { delimiter, quote, escape, comment, nullValue } = dialect;
  if (text === "" || (comment !== undefined && text.startsWith(comment))) return undefined;
  const cells: CsvCells = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text[i] === quote) {
      // A quoted field: up to the closing quote, escapes resolved.
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new Error(`Quote Not Closed: the line ends inside the quoted field ${cells.length + 1}`);
        const ch = text[j]!;
        // An escape takes the next character literally (as csv-parse; the quote as escape only escapes itself).
        if (ch === escape && j + 1 < n && (escape !== quote || text[j + 1] === quote)) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        if (ch === quote) break;
        value += ch;
        j++;
      }
      cells.push(value);
      i = j + 1;
      if (i >= n) return cells;
      if (text[i] !== delimiter) throw new Error(`Invalid Closing Quote: got ${JSON.stringify(text[i])} after the quoted field ${cells.length}`);
      i++;
      if (i >= n) {
        cells.push(nullValue === "" ? null : "");
        return cells;
      }
      continue;
    }
    const end = text.indexOf(delimiter, i);
    const raw = end < 0 ? text.slice(i) : text.slice(i, end);
    if (raw.includes(quote)) throw new Error(`Invalid Opening Quote: a quote is found in the unquoted field ${cells.length + 1}, value is ${JSON.stringify(raw)}`);
    cells.push(raw === nullValue ? null : raw);
    if (end < 0) return cells;
    i = end + 1;
    if (i >= n) {
      cells.push(nullValue === "" ? null : "");
      return cells;
    }
  }
}
