import { formatBigDecimal, type BigDecimal } from "../../coders/index.js";

function isBigDecimal(v: object): v is BigDecimal {
  return typeof (v as { unscaledValue?: unknown }).unscaledValue === "bigint" && typeof (v as { scale?: unknown }).scale === "number";
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (Array.isArray(v)) return arrayLiteral(v);
  const text = valueText(v)!;
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(",")}}`;
}

/**
 * A JS value as PostgreSQL's text input for its column: what INSERT parameters and COPY rows
 * carry (the server converts the text to the column's type, as it does for psql input).
 * null and undefined are NULL; bigint and number as digits; boolean `t`/`f`; BigDecimal as
 * its decimal digits; Date and Instant-valued columns: pass a Date (an ISO string); byte
 * arrays as `\x` hex; arrays as array literals; other objects as JSON (json/jsonb columns).
 *
 * @example valueText({ unscaledValue: 999n, scale: 2 }) // "9.99"
 */
export function valueText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "string":
      return v;
    case "boolean":
      return v ? "t" : "f";
    case "number":
    case "bigint":
      return String(v);
    case "object":
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Uint8Array) return `\\x${hex(v)}`;
      if (Array.isArray(v)) return arrayLiteral(v);
      if (isBigDecimal(v)) return formatBigDecimal(v);
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
    default:
      return String(v);
  }
}

/** One row of COPY's text format: tab-separated, `\N` for NULL, backslash escapes, newline-terminated. */
export function copyTextRow(values: readonly unknown[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    const text = valueText(values[i]);
    if (i > 0) line += "\t";
    line += text === null ? "\\N" : text.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
  }
  return `${line}\n`;
}
