import { decodeFromBytes, deterministicJsValueCoder, encodeToBytes, stringUtf8Coder } from "../coders/index.js";
import type { Coder } from "../model/index.js";
import { keyValue } from "./sql-values.js";
import type { SqlTypeName } from "./sql-types.js";

/**
 * The key a query groups by (GROUP BY, DISTINCT, the equality of a join), encoded from its
 * columns' SQL types into one string, which Beam's string coder carries.
 *
 * Why a string: a grouping step compares keys by their encoding, and on the embedded runner a
 * string key is its own identity, so a row is grouped without encoding its key to bytes and
 * a group's key is output without decoding them (an array key under the JS value coder is
 * encoded for every row and decoded for every group; with one group per row, as in Nexmark's
 * SqlQuery7, that and its garbage were most of the query's time). The string coder is one of
 * Beam's standard coders, so portable runners group these keys by their bytes too.
 *
 * The encoding is one-to-one on key values (keyValue's: -0 is 0, a DECIMAL at its shortest
 * scale) and decodes to them: per column, in order, `~` for NULL; for VARCHAR `<length>:`
 * and the string; for numbers, TIMESTAMP and DATE the number's shortest text (unique per
 * value) and `;`; for BIGINT the bigint's digits and `;` (an integral JS number in a BIGINT
 * column too, as Beam's RowCoder encodes both alike; it decodes as a bigint); for DECIMAL `<unscaled>e<scale>;`;
 * BOOLEAN `t` or `f`. A value of another type (VARBINARY, OTHER, or a value that is not of
 * its column's JS type) is `?<length>:` and its deterministic JS value encoding, one char
 * per byte. No typed form starts with `~` or `?`, so each column's form is known from its
 * first character.
 */
export interface GroupingKey {
  /** The key coder: Beam's string coder, deterministic. */
  readonly coder: Coder<string>;
  /** The key of these column values (raw row values: normalized here as keyValue does). */
  encode(values: readonly unknown[]): string;
  /** The key values of an encoded key, as keyValue gives them. */
  decode(key: string): unknown[];
}

type Form = "string" | "number" | "bigint" | "decimal" | "boolean" | "other";

function formOf(type: SqlTypeName): Form {
  switch (type) {
    case "VARCHAR":
      return "string";
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "FLOAT":
    case "DOUBLE":
    case "TIMESTAMP":
    case "DATE":
      return "number";
    case "BIGINT":
      return "bigint";
    case "DECIMAL":
      return "decimal";
    case "BOOLEAN":
      return "boolean";
    default:
      return "other";
  }
}

/** The grouping key of columns of these SQL types. */
export function groupingKey(types: readonly SqlTypeName[]): GroupingKey {
  const forms = types.map(formOf);
  const n = forms.length;
  return {
    coder: stringUtf8Coder,
    encode(values) {
      let out = "";
      for (let i = 0; i < n; i++) out += encodeColumn(forms[i]!, values[i] ?? null);
      return out;
    },
    decode(key) {
      const values = new Array<unknown>(n);
      let pos = 0;
      for (let i = 0; i < n; i++) {
        const c = key.charCodeAt(pos);
        if (c === TILDE) {
          values[i] = null;
          pos++;
        } else if (c === QUESTION) {
          const colon = key.indexOf(":", pos);
          const end = colon + 1 + Number(key.slice(pos + 1, colon));
          // A plain Uint8Array, so bytes decode as Uint8Array, not as Buffer.
          values[i] = decodeFromBytes(deterministicJsValueCoder, new Uint8Array(Buffer.from(key.slice(colon + 1, end), "latin1")));
          pos = end;
        } else {
          const form = forms[i]!;
          if (form === "boolean") {
            values[i] = c === T;
            pos++;
          } else if (form === "string") {
            const colon = key.indexOf(":", pos);
            const end = colon + 1 + Number(key.slice(pos, colon));
            values[i] = key.slice(colon + 1, end);
            pos = end;
          } else {
            const semi = key.indexOf(";", pos);
            const text = key.slice(pos, semi);
            values[i] = form === "number" ? Number(text) : form === "bigint" ? BigInt(text) : decimalOf(text);
            pos = semi + 1;
          }
        }
      }
      return values;
    },
  };
}

const TILDE = "~".charCodeAt(0);
const QUESTION = "?".charCodeAt(0);
const T = "t".charCodeAt(0);

function encodeColumn(form: Form, raw: unknown): string {
  if (raw === null) return "~";
  switch (form) {
    case "string":
      if (typeof raw === "string") return `${raw.length}:${raw}`;
      break;
    case "number":
      // -0 is 0 (keyValue), and String gives each other double its own shortest text.
      if (typeof raw === "number") return `${raw === 0 ? 0 : raw};`;
      break;
    case "bigint":
      if (typeof raw === "bigint") return `${raw};`;
      // An INT64 field given a JS number: the RowCoder writes it as the same long, so it is the same key.
      if (typeof raw === "number" && Number.isSafeInteger(raw)) return `${raw};`;
      break;
    case "boolean":
      if (typeof raw === "boolean") return raw ? "t" : "f";
      break;
    case "decimal": {
      const v = keyValue(raw) as { unscaledValue?: unknown; scale?: unknown };
      if (typeof v === "object" && typeof v.unscaledValue === "bigint" && typeof v.scale === "number") return `${v.unscaledValue}e${v.scale};`;
      break;
    }
    case "other":
      break;
  }
  const bytes = encodeToBytes(deterministicJsValueCoder, keyValue(raw));
  const text = Buffer.from(bytes).toString("latin1");
  return `?${text.length}:${text}`;
}

function decimalOf(text: string): { unscaledValue: bigint; scale: number } {
  const e = text.indexOf("e");
  return { unscaledValue: BigInt(text.slice(0, e)), scale: Number(text.slice(e + 1)) };
}
