import { ConstructionError } from "../../model/index.js";

/** How a CSV file spells its records: RFC 4180 by default (`,`, `"`, quotes doubled). */
export interface CsvDialectOptions {
  /** The field separator, one character. Default ",". */
  readonly delimiter?: string;
  /** The quote character, one character. Default `"`. */
  readonly quote?: string;
  /** Escapes a quote inside a quoted field, one character. Default: the quote itself (`""`). */
  readonly escape?: string;
  /**
   * The text of a null cell, written unquoted; a quoted cell is never null, so `""` reads as
   * an empty string. Default "" (an empty unquoted cell). Only schema fields that are nullable
   * read it as null.
   */
  readonly nullValue?: string;
}

/** A checked dialect. */
export interface CsvDialect {
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  readonly nullValue: string;
  /** Lines starting with it are comments (reading only). */
  readonly comment: string | undefined;
}

function oneChar(what: string, name: string, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (typeof v !== "string" || v.length !== 1 || v === "\n" || v === "\r") {
    throw new ConstructionError(`${what}: ${name} must be one character other than a line break, got ${JSON.stringify(value)}.`);
  }
  return v;
}

/** Checks a dialect at construction time. */
export function resolveDialect(what: string, options: CsvDialectOptions & { readonly comment?: string }): CsvDialect {
  const delimiter = oneChar(what, "delimiter", options.delimiter, ",");
  const quote = oneChar(what, "quote", options.quote, '"');
  const escape = oneChar(what, "escape", options.escape, quote);
  const comment = options.comment === undefined ? undefined : oneChar(what, "comment", options.comment, "#");
  const nullValue = options.nullValue ?? "";
  if (typeof nullValue !== "string" || /[\r\n]/.test(nullValue) || nullValue.includes(delimiter) || nullValue.includes(quote)) {
    throw new ConstructionError(`${what}: nullValue must be text without line breaks, delimiter or quote, got ${JSON.stringify(options.nullValue)}.`);
  }
  if (delimiter === quote || (comment !== undefined && (comment === delimiter || comment === quote))) {
    throw new ConstructionError(`${what}: delimiter, quote and comment must be different characters.`);
  }
  return { delimiter, quote, escape, nullValue, comment };
}
