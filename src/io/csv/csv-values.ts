import { formatBigDecimal, parseBigDecimal } from "../../coders/index.js";
import { ConstructionError, LogicalTypeUrns, describeFieldType, enumCases, type FieldType, type Schema } from "../../model/index.js";

/**
 * How a schema field's values are written as CSV text and read back. Every field type a
 * CSV cell can hold as one piece of text is supported; nested types (arrays, maps, rows,
 * micros instants, local date-times, unions) are refused at construction.
 *
 * Text forms: integers in decimal (INT64 exact, as bigint); FLOAT/DOUBLE as JS numbers
 * (`NaN`, `Infinity`, `-Infinity` allowed); BOOLEAN `true`/`false` (any case); BYTES base64;
 * decimal as plain digits (`-12.50`, exponents accepted on read, as Java's BigDecimal);
 * timestamp (millis instant) ISO 8601 with a `Z` or `±hh:mm` offset, written as
 * `Date.toISOString()` (`2024-05-01T12:00:00.000Z`); date `YYYY-MM-DD`; time
 * `HH:MM:SS[.fffffffff]`; enumeration by case name; uuid and chars as strings.
 */
export interface CsvFieldCodec {
  /** The value of a cell's text; throws an Error whose message is the reason. */
  readonly parse: (text: string) => unknown;
  /** The text of a (non-null) value. */
  readonly format: (value: unknown) => string;
}

const INTEGER = /^[+-]?\d+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

function integer(bits: number): CsvFieldCodec {
  const max = 2 ** (bits - 1);
  return {
    parse: (text) => {
      const n = INTEGER.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n) || n < -max || n >= max) throw new Error(`expected an integer from ${-max} to ${max - 1}, got ${JSON.stringify(text)}`);
      return n;
    },
    format: (value) => String(value),
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const int64: CsvFieldCodec = {
  parse: (text) => {
    const n = INTEGER.test(text) ? BigInt(text) : undefined;
    if (n === undefined || n < INT64_MIN || n > INT64_MAX) throw new Error(`expected an int64 (a whole number from -2^63 to 2^63-1), got ${JSON.stringify(text)}`);
    return n;
  },
  format: (value) => String(value),
};

const floating: CsvFieldCodec = {
  parse: (text) => {
    const trimmed = text.trim();
    const n = trimmed === "" ? NaN : Number(trimmed);
    if (Number.isNaN(n) && trimmed !== "NaN") throw new Error(`expected a number, got ${JSON.stringify(text)}`);
    return n;
  },
  format: (value) => String(value),
};

const text: CsvFieldCodec = { parse: (s) => s, format: (value) => String(value) };

const boolean: CsvFieldCodec = {
  parse: (s) => {
    const lower = s.trim().toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    throw new Error(`expected true or false, got ${JSON.stringify(s)}`);
  },
  format: (value) => String(value),
};

const bytes: CsvFieldCodec = {
  parse: (s) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error(`expected base64 bytes, got ${JSON.stringify(s)}`);
    return new Uint8Array(Buffer.from(s, "base64"));
  },
  format: (value) => {
    const b = value as Uint8Array;
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
  },
};

const decimal: CsvFieldCodec = {
  parse: (s) => {
    try {
      return parseBigDecimal(s);
    } catch {
      throw new Error(`expected a decimal number such as -12.50, got ${JSON.stringify(s)}`);
    }
  },
  format: (value) => formatBigDecimal(value as Parameters<typeof formatBigDecimal>[0]),
};

const instant: CsvFieldCodec = {
  parse: (s) => {
    const ms = INSTANT.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(ms)) throw new Error(`expected an ISO 8601 timestamp with a zone, such as 2024-05-01T12:00:00.000Z, got ${JSON.stringify(s)}`);
    return ms;
  },
  format: (value) => new Date(value as number).toISOString(),
};

const date: CsvFieldCodec = {
  parse: (s) => {
    const m = DATE.exec(s);
    // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
    const ms = m === null ? NaN : new Date(0).setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (m === null || Number.isNaN(ms) || new Date(ms).getUTCDate() !== Number(m[3])) throw new Error(`expected a date YYYY-MM-DD, got ${JSON.stringify(s)}`);
    return ms / DAY_MS;
  },
  format: (value) => new Date((value as number) * DAY_MS).toISOString().slice(0, 10),
};

const time: CsvFieldCodec = {
  parse: (s) => {
    const m = TIME.exec(s);
    if (m === null || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw new Error(`expected a time HH:MM:SS[.fffffffff], got ${JSON.stringify(s)}`);
    const nanos = Number((m[4] ?? "").padEnd(9, "0"));
    return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e9 + nanos;
  },
  format: (value) => {
    const nanos = value as number;
    const seconds = Math.floor(nanos / 1e9);
    const pad = (n: number) => String(n).padStart(2, "0");
    const fraction = nanos % 1e9 === 0 ? "" : `.${String(nanos % 1e9).padStart(9, "0").replace(/0+$/, "")}`;
    return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}${fraction}`;
  },
};

function enumeration(type: Extract<FieldType, { kind: "logical" }>): CsvFieldCodec {
  const cases = enumCases(type);
  return {
    parse: (s) => {
      if (!cases.has(s)) throw new Error(`expected one of ${[...cases.keys()].join(", ")}, got ${JSON.stringify(s)}`);
      return s;
    },
    format: (value) => String(value),
  };
}

/** The codec of a field type, or undefined when a CSV cell cannot hold it. */
export function fieldCodec(type: FieldType): CsvFieldCodec | undefined {
  switch (type.kind) {
    case "atomic":
      switch (type.type) {
        case "BYTE":
          return integer(8);
        case "INT16":
          return integer(16);
        case "INT32":
          return integer(32);
        case "INT64":
          return int64;
        case "FLOAT":
        case "DOUBLE":
          return floating;
        case "STRING":
          return text;
        case "BOOLEAN":
          return boolean;
        case "BYTES":
          return bytes;
      }
      return undefined;
    case "logical":
      switch (type.urn) {
        case LogicalTypeUrns.decimal:
          return decimal;
        case LogicalTypeUrns.millisInstant:
          return instant;
        case LogicalTypeUrns.date:
          return date;
        case LogicalTypeUrns.time:
          return time;
        case LogicalTypeUrns.enumeration:
          return enumeration(type);
        case LogicalTypeUrns.uuid:
        case LogicalTypeUrns.fixedChar:
        case LogicalTypeUrns.varChar:
          return text;
        case LogicalTypeUrns.fixedBytes:
        case LogicalTypeUrns.varBytes:
          return bytes;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** A schema's fields with their codecs; throws a ConstructionError naming a field a CSV cell cannot hold. */
export function schemaCodecs(what: string, schema: Schema): { readonly name: string; readonly nullable: boolean; readonly codec: CsvFieldCodec }[] {
  return schema.fields.map((field) => {
    const codec = fieldCodec(field.type);
    if (codec === undefined) {
      throw new ConstructionError(
        `${what}: field "${field.name}" has type ${describeFieldType(field.type)}, which a CSV cell cannot hold. ` +
          `Use atomic types, decimal, timestamp, date, time or enumeration fields, or write a nested value as a JSON string field.`,
      );
    }
    return { name: field.name, nullable: field.type.nullable === true, codec };
  });
}
