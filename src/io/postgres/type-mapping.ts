import { parseBigDecimal } from "../../coders/index.js";
import { LogicalTypeUrns, type FieldType } from "../../model/index.js";
import { PostgresIOError } from "./postgres-io-error.js";

/**
 * How PostgreSQL's types become JS values, once for every read: each value is exactly the JS
 * type of the Beam schema type `schemaTypeOf` gives its column, so rows can carry a schema
 * (`withSchema`) and cross threads and SDKs unchanged (docs/ARCHITECTURE.md, "Schemas").
 * Types not listed come as their text form (a string), as `psql` shows them.
 */
interface TypeMapping {
  readonly name: string;
  readonly type: FieldType;
  readonly parse: (text: string) => unknown;
}

const atomic = (type: Extract<FieldType, { kind: "atomic" }>["type"]): FieldType => ({ kind: "atomic", type });
const INT64 = atomic("INT64");
const logical = (urn: string, representation: FieldType): FieldType => ({ kind: "logical", urn, representation });
const UUID_TYPE: FieldType = logical(LogicalTypeUrns.uuid, {
  kind: "row",
  schema: { fields: [{ name: "MostSignificantBits", type: INT64 }, { name: "LeastSignificantBits", type: INT64 }] },
});

const MS_PER_DAY = 86_400_000;

function unsupported(type: string, text: string, fix: string): never {
  throw new PostgresIOError(`A ${type} value ${JSON.stringify(text)} has no exact JS value in beam-ts's type mapping. ${fix}`, { retryable: false });
}

function parseDate(text: string): number {
  const m = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/.exec(text);
  if (m === null) return unsupported("date", text, "Cast it to text in the query (col::text) to read it as a string.");
  const year = m[4] ? 1 - Number(m[1]) : Number(m[1]);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  return Math.round(d.getTime() / MS_PER_DAY);
}

function parseTimeOfDayNanos(text: string): number {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  if (m === null) return unsupported("time", text, "Cast it to text in the query (col::text) to read it as a string.");
  const micros = Number((m[4] ?? "").padEnd(6, "0"));
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e9 + micros * 1e3;
}

/** A timestamp (with or without time zone; without one it is read as UTC) as epoch milliseconds, microseconds cut. */
function parseTimestamp(text: string): number {
  const m = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/.exec(text);
  if (m === null) {
    return unsupported("timestamp", text, "Filter out ±infinity, or cast the column to text in the query (col::text).");
  }
  const year = m[12] ? 1 - Number(m[1]) : Number(m[1]);
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), Math.floor(Number((m[7] ?? "").padEnd(6, "0")) / 1000));
  const offsetSeconds = m[8] === undefined ? 0 : (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  return d.getTime() - offsetSeconds * 1000;
}

function parseBytea(text: string): Uint8Array {
  if (!text.startsWith("\\x")) return unsupported("bytea", text.slice(0, 40), "Set bytea_output = 'hex' on the server (the default).");
  const buf = Buffer.from(text.slice(2), "hex");
  // A plain Uint8Array: a Buffer would come back as a Uint8Array after crossing a coder.
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

function parseNumeric(text: string): unknown {
  if (text === "NaN" || text === "Infinity" || text === "-Infinity") {
    return unsupported("numeric", text, "Filter it out or cast the column to float8 in the query.");
  }
  return parseBigDecimal(text);
}

/**
 * A PostgreSQL array literal (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`) as nested
 * JS arrays, each element parsed by `element`; NULL is null.
 */
export function parseArrayLiteral(text: string, element: (text: string) => unknown): unknown[] {
  let i = 0;
  // An explicit lower bound (`[0:2]={1,2,3}`) is dropped: JS arrays start at 0.
  if (text.startsWith("[")) i = text.indexOf("=") + 1;
  const parse = (): unknown[] => {
    if (text[i] !== "{") throw new PostgresIOError(`Malformed array literal ${JSON.stringify(text.slice(0, 80))}.`);
    i++;
    const out: unknown[] = [];
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === "{") out.push(parse());
      else if (text[i] === '"') {
        let s = "";
        i++;
        while (text[i] !== '"') {
          if (text[i] === "\\") i++;
          s += text[i++];
        }
        i++;
        out.push(element(s));
      } else {
        let j = i;
        while (text[j] !== "," && text[j] !== "}") j++;
        const raw = text.slice(i, j);
        i = j;
        out.push(raw === "NULL" ? null : element(raw));
      }
      if (text[i] === ",") i++;
      else if (text[i] === "}") {
        i++;
        return out;
      } else throw new PostgresIOError(`Malformed array literal ${JSON.stringify(text.slice(0, 80))}.`);
    }
  };
  return parse();
}

const identity = (text: string): string => text;

/** Scalar types by OID (pg_type), with the OID of their array type. */
const SCALARS: ReadonlyArray<readonly [oid: number, arrayOid: number, mapping: TypeMapping]> = [
  [16, 1000, { name: "boolean", type: atomic("BOOLEAN"), parse: (s) => s === "t" }],
  [17, 1001, { name: "bytea", type: atomic("BYTES"), parse: parseBytea }],
  [20, 1016, { name: "bigint", type: INT64, parse: (s) => BigInt(s) }],
  [21, 1005, { name: "smallint", type: atomic("INT16"), parse: (s) => Number(s) }],
  [23, 1007, { name: "integer", type: atomic("INT32"), parse: (s) => Number(s) }],
  [26, 1028, { name: "oid", type: INT64, parse: (s) => BigInt(s) }],
  [700, 1021, { name: "real", type: atomic("FLOAT"), parse: (s) => Number(s) }],
  [701, 1022, { name: "double precision", type: atomic("DOUBLE"), parse: (s) => Number(s) }],
  [1700, 1231, { name: "numeric", type: logical(LogicalTypeUrns.decimal, atomic("BYTES")), parse: parseNumeric }],
  [25, 1009, { name: "text", type: atomic("STRING"), parse: identity }],
  [1043, 1015, { name: "varchar", type: atomic("STRING"), parse: identity }],
  [1042, 1014, { name: "char", type: atomic("STRING"), parse: identity }],
  [19, 1003, { name: "name", type: atomic("STRING"), parse: identity }],
  [114, 199, { name: "json", type: atomic("STRING"), parse: identity }],
  [3802, 3807, { name: "jsonb", type: atomic("STRING"), parse: identity }],
  [2950, 2951, { name: "uuid", type: UUID_TYPE, parse: identity }],
  [1082, 1182, { name: "date", type: logical(LogicalTypeUrns.date, INT64), parse: parseDate }],
  [1083, 1183, { name: "time", type: logical(LogicalTypeUrns.time, INT64), parse: parseTimeOfDayNanos }],
  [1114, 1115, { name: "timestamp", type: logical(LogicalTypeUrns.millisInstant, INT64), parse: parseTimestamp }],
  [1184, 1185, { name: "timestamptz", type: logical(LogicalTypeUrns.millisInstant, INT64), parse: parseTimestamp }],
];

const BY_OID = new Map<number, TypeMapping>();
for (const [oid, arrayOid, mapping] of SCALARS) {
  BY_OID.set(oid, mapping);
  // Arrays of any dimension read as nested arrays; their schema type is a one-level ARRAY.
  BY_OID.set(arrayOid, {
    name: `${mapping.name}[]`,
    type: { kind: "array", element: { ...mapping.type, nullable: true } },
    parse: (s) => parseArrayLiteral(s, mapping.parse),
  });
}

/**
 * The `types` setting of pg queries: text-format values parsed by the mapping above, and
 * every other type left as its text.
 */
export const POSTGRES_TYPES = {
  getTypeParser(oid: number, format?: string): (text: string) => unknown {
    if (format === "binary") return identity as (text: string) => unknown;
    return BY_OID.get(oid)?.parse ?? identity;
  },
};

/** The Beam schema type of a column of type `oid` (STRING for types read as text). */
export function schemaTypeOf(oid: number, nullable: boolean): FieldType {
  const type = BY_OID.get(oid)?.type ?? atomic("STRING");
  return nullable ? { ...type, nullable: true } : type;
}

/** PostgreSQL's name of type `oid` when the mapping knows it, else `oid <n>`. */
export function typeNameOf(oid: number): string {
  return BY_OID.get(oid)?.name ?? `oid ${oid}`;
}

/** Integer types (smallint, integer, bigint): the ones numPartitions can split by value. */
export const INTEGER_OIDS: ReadonlySet<number> = new Set([20, 21, 23]);
