import { t, type BigDecimal, type FieldSpec, type FieldType, type Schema } from "../../model/index.js";

/**
 * How one Avro type maps to a Beam schema field type, and how its values convert between
 * avsc's form (`long` as bigint, logical types as their underlying type, maps as objects,
 * bytes as Buffers) and the schema module's (docs/ARCHITECTURE.md "Schemas").
 */
export interface AvroMapping {
  /** The Beam field type, or undefined when the Avro type has none (`why` says why). */
  readonly type: FieldType | undefined;
  readonly why?: string;
  /** avsc value → schema-module value. */
  readonly read: (value: unknown) => unknown;
  /** schema-module value → avsc value (checked by avsc when encoded). */
  readonly write: (value: unknown) => unknown;
}

const same = (v: unknown): unknown => v;
const spec = (s: FieldSpec<unknown>): FieldType => s.type;

type Json = string | { readonly [key: string]: unknown } | readonly unknown[];

/**
 * The mapping of an Avro schema (its JSON form). Avro → Beam: boolean, int (INT32), long
 * (INT64, bigint), float, double, string, bytes; logical types timestamp-millis (an
 * Instant), timestamp-micros (micros_instant, bigint), date (days), decimal on bytes or
 * fixed (BigDecimal), uuid (string); enum (enumeration), fixed (fixed_bytes), array, map
 * (a JS Map of string keys), record (a row), a union of null and one type (nullable).
 * Other logical types read as their underlying type, as the Avro specification says.
 * Without a Beam type (no `type`, values left as avsc gives them): other unions, "null",
 * recursive records.
 */
export function mapAvroSchema(schema: unknown): AvroMapping {
  return compile(schema as Json, new Map(), "", new Set());
}

function compile(s: Json, named: Map<string, AvroMapping>, namespace: string, open: Set<string>): AvroMapping {
  if (Array.isArray(s)) return union(s as Json[], named, namespace, open);
  if (typeof s === "string") {
    const primitive = PRIMITIVES[s];
    if (primitive !== undefined) return primitive;
    const full = s.includes(".") || namespace === "" ? s : `${namespace}.${s}`;
    if (open.has(full) || open.has(s)) return none(`the record "${s}" is recursive`);
    const ref = named.get(full) ?? named.get(s);
    if (ref === undefined) return none(`the type "${s}" is not defined`);
    return ref;
  }
  const o = s as { readonly [key: string]: unknown };
  const type = o.type as Json;
  const logical = o.logicalType;
  if (typeof type === "string" && PRIMITIVES[type] !== undefined) {
    if (logical === "timestamp-millis" && type === "long") {
      return { type: spec(t.timestamp()), read: (v) => Number(v as bigint), write: (v) => BigInt(v as number) };
    }
    if (logical === "timestamp-micros" && type === "long") return { type: spec(t.microsInstant()), read: same, write: same };
    if (logical === "date" && type === "int") return { type: spec(t.date()), read: same, write: same };
    if (logical === "uuid" && type === "string") return { type: spec(t.uuid()), read: same, write: same };
    if (logical === "decimal" && type === "bytes") return decimal(o.scale);
    return PRIMITIVES[type];
  }
  const ns = typeof o.namespace === "string" ? o.namespace : namespace;
  const name = typeof o.name === "string" ? (o.name.includes(".") || ns === "" ? o.name : `${ns}.${o.name}`) : "";
  const childNs = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : ns;
  let m: AvroMapping;
  switch (type) {
    case "record":
    case "error": {
      open.add(name);
      m = record(o.fields as readonly { name: string; type: Json }[], named, childNs, open);
      open.delete(name);
      break;
    }
    case "enum": {
      const symbols = o.symbols as string[];
      m = { type: spec(t.enumeration(...symbols)), read: same, write: same };
      break;
    }
    case "fixed":
      m = logical === "decimal" ? decimal(o.scale, o.size as number) : { type: spec(t.fixedBytes(o.size as number)), read: bytesRead, write: bytesWrite };
      break;
    case "array": {
      const items = compile(o.items as Json, named, ns, open);
      m = {
        type: items.type && { kind: "array", element: items.type },
        ...why(items),
        read: (v) => (v as unknown[]).map(items.read),
        write: (v) => Array.from(v as Iterable<unknown>, items.write),
      };
      break;
    }
    case "map": {
      const values = compile(o.values as Json, named, ns, open);
      m = {
        type: values.type && { kind: "map", key: spec(t.string()), value: values.type },
        ...why(values),
        read: (v) => new Map(Object.entries(v as object).map(([k, x]) => [k, values.read(x)])),
        write: (v) => Object.fromEntries(Array.from((v instanceof Map ? v : Object.entries(v as object)) as Iterable<[string, unknown]>, ([k, x]) => [k, values.write(x)])),
      };
      break;
    }
    default:
      // { "type": "string" }-style wrappers of a named or nested type.
      return compile(type, named, ns, open);
  }
  if (name !== "") named.set(name, m);
  return m;
}

function record(fields: readonly { name: string; type: Json }[], named: Map<string, AvroMapping>, ns: string, open: Set<string>): AvroMapping {
  const compiled = fields.map((f) => ({ name: f.name, m: compile(f.type, named, ns, open) }));
  const missing = compiled.find((f) => f.m.type === undefined);
  const schema: Schema = { fields: compiled.map((f) => ({ name: f.name, type: f.m.type! })) };
  return {
    type: missing === undefined ? { kind: "row", schema } : undefined,
    ...(missing === undefined ? {} : { why: `field "${missing.name}": ${missing.m.why}` }),
    read: (v) => {
      const r = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of compiled) out[f.name] = f.m.read(r[f.name]);
      return out;
    },
    write: (v) => {
      const r = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of compiled) out[f.name] = f.m.write(r[f.name]);
      return out;
    },
  };
}

function union(branches: Json[], named: Map<string, AvroMapping>, ns: string, open: Set<string>): AvroMapping {
  const others = branches.filter((b) => b !== "null");
  if (others.length === 1 && branches.length === 2) {
    const m = compile(others[0]!, named, ns, open);
    return {
      type: m.type && { ...m.type, nullable: true },
      ...why(m),
      read: (v) => (v === null || v === undefined ? null : m.read(v)),
      write: (v) => (v === null || v === undefined ? null : m.write(v)),
    };
  }
  for (const b of branches) compile(b, named, ns, open); // registers named branches
  return none(`the union ${JSON.stringify(branches)} is not of null and one type`);
}

function why(m: AvroMapping): { why?: string } {
  return m.why === undefined ? {} : { why: m.why };
}

function none(reason: string): AvroMapping {
  return { type: undefined, why: reason, read: same, write: same };
}

const bytesRead = (v: unknown): unknown => new Uint8Array(v as Buffer);
const bytesWrite = (v: unknown): unknown => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);

const PRIMITIVES: Readonly<Record<string, AvroMapping>> = {
  null: none(`"null" alone has no Beam type`),
  boolean: { type: spec(t.boolean()), read: same, write: same },
  int: { type: spec(t.int32()), read: same, write: same },
  long: { type: spec(t.int64()), read: same, write: (v) => (typeof v === "number" && Number.isInteger(v) ? BigInt(v) : v) },
  float: { type: spec(t.float()), read: same, write: same },
  double: { type: spec(t.double()), read: same, write: same },
  string: { type: spec(t.string()), read: same, write: same },
  bytes: { type: spec(t.bytes()), read: bytesRead, write: bytesWrite },
};

/** Avro's decimal: the unscaled value as big-endian two's complement bytes, the scale in the schema. */
function decimal(scaleOption: unknown, size?: number): AvroMapping {
  const scale = typeof scaleOption === "number" ? scaleOption : 0;
  return {
    type: spec(t.decimal()),
    read: (v) => ({ unscaledValue: fromTwosComplement(v as Buffer), scale }) satisfies BigDecimal,
    write: (v) => toTwosComplement(rescale(v as BigDecimal, scale), size),
  };
}

function rescale(d: BigDecimal, scale: number): bigint {
  if (d.scale === scale) return d.unscaledValue;
  if (d.scale < scale) return d.unscaledValue * 10n ** BigInt(scale - d.scale);
  const factor = 10n ** BigInt(d.scale - scale);
  if (d.unscaledValue % factor !== 0n) {
    throw new RangeError(`the decimal ${d.unscaledValue}e-${d.scale} has more than the schema's ${scale} decimal places`);
  }
  return d.unscaledValue / factor;
}

function fromTwosComplement(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  let n = BigInt(`0x${bytes.toString("hex")}`);
  if (bytes[0]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

function toTwosComplement(n: bigint, size?: number): Buffer {
  let len = 1;
  while (n < -(1n << BigInt(len * 8 - 1)) || n >= 1n << BigInt(len * 8 - 1)) len++;
  if (size !== undefined) {
    if (len > size) throw new RangeError(`the decimal's unscaled value ${n} needs ${len} bytes, more than the fixed size ${size}`);
    len = size;
  }
  const u = n < 0n ? n + (1n << BigInt(len * 8)) : n;
  return Buffer.from(u.toString(16).padStart(len * 2, "0"), "hex");
}
