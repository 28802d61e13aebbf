import type { ByteReader, ByteWriter, Coder, Instant } from "../model/index.js";
import { CoderError, describeValue, rowMismatch } from "../model/index.js";
import { bytesCoder, boolCoder, doubleCoder, stringUtf8Coder } from "./primitives.js";
import { iterableCoder, nullableCoder } from "./structural.js";
import { bigDecimalCoder } from "./big-decimal-coder.js";
import { readInstant, writeInstant } from "./instant.js";
import { logicalValueCoder } from "./logical-type-coders.js";
import type { AtomicType, FieldType, Schema } from "./schema.js";
import { encodeSchemaProto } from "./schema-proto-writer.js";
import { CoderUrns, LogicalTypeUrns } from "./urns.js";

/**
 * A row: field name to value. INT64 values are bigints; logical types have the JS values
 * docs/ARCHITECTURE.md "Schemas" lists (millis_instant an Instant, decimal a BigDecimal,
 * enumerations their case names, ...); unknown logical types their representation's.
 */
export type Row = Record<string, unknown>;

/** One byte, two's complement. */
const byteCoder: Coder<number> = {
  urn: "beam-ts:coder:schema_byte",
  components: [],
  deterministic: true,
  encode: (v: number, w: ByteWriter) => w.writeByte(v & 0xff),
  decode: (r: ByteReader) => (r.readByte() << 24) >> 24,
  toString: () => "byte",
};

const int16Coder: Coder<number> = {
  urn: "beam-ts:coder:schema_int16",
  components: [],
  deterministic: true,
  encode: (v: number, w: ByteWriter) => w.writeInt16BE(v),
  decode: (r: ByteReader) => r.readInt16BE(),
  toString: () => "int16",
};

const floatCoder: Coder<number> = {
  urn: "beam-ts:coder:schema_float",
  components: [],
  deterministic: true,
  encode: (v: number, w: ByteWriter) => w.writeFloatBE(v),
  decode: (r: ByteReader) => r.readFloatBE(),
  toString: () => "float",
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Beam's VarLong, always a bigint: exact over Java's whole long range, one JS type. Values
 * up to 2^53 go through numbers (most ids and counts), the rest through bigint arithmetic,
 * which allocates at every step.
 */
const int64Coder: Coder<bigint> = {
  urn: CoderUrns.varint,
  components: [],
  deterministic: true,
  encode(v: bigint, w: ByteWriter) {
    const big = typeof v === "bigint" ? v : BigInt(v);
    if (big >= 0n && big <= MAX_SAFE) w.writeVarInt(Number(big));
    else w.writeVarInt(BigInt.asUintN(64, big));
  },
  decode: (r: ByteReader) => readVarLong(r),
  toString: () => "int64",
};

/** A varint as a signed 64-bit bigint: the first seven bytes (49 bits) summed as a number. */
function readVarLong(r: ByteReader): bigint {
  let result = 0;
  let factor = 1;
  for (let i = 0; i < 7; i++) {
    const b = r.readByte();
    result += (b & 0x7f) * factor;
    if (b < 0x80) return BigInt(result);
    factor *= 0x80;
  }
  let big = BigInt(result);
  for (let shift = 49n; shift < 70n; shift += 7n) {
    const b = r.readByte();
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return BigInt.asIntN(64, big);
  }
  throw new CoderError(`A varint longer than 10 bytes at offset ${r.position}: the input is not a Beam varint.`);
}

/** Java's InstantCoder, the wire form of millis_instant (Java's DATETIME) fields. */
const instantCoder: Coder<Instant> = {
  urn: "beam-ts:coder:schema_instant",
  components: [],
  deterministic: true,
  encode: (v: Instant, w: ByteWriter) => writeInstant(w, v),
  decode: (r: ByteReader) => readInstant(r),
  toString: () => "instant",
};

/**
 * Logical types whose wire form is not their representation's, as Python's RowCoder
 * special-cases them (TimestampCoder, DecimalCoder) to read what Java's RowCoder writes.
 */
const LOGICAL_TYPE_CODERS: Readonly<Record<string, Coder<unknown>>> = {
  [LogicalTypeUrns.millisInstant]: instantCoder as Coder<unknown>,
  [LogicalTypeUrns.decimal]: bigDecimalCoder as Coder<unknown>,
};

/**
 * Java's VarIntCoder: an int as the varint of its unsigned 32 bits (five bytes when
 * negative). Reads the sign-extended 64-bit form (ten bytes) too, as older SDKs wrote it.
 */
const int32Coder: Coder<number> = {
  urn: "beam-ts:coder:schema_int32",
  components: [],
  deterministic: true,
  encode: (v: number, w: ByteWriter) => w.writeVarInt(v >>> 0),
  decode: (r: ByteReader) => readVarInt32(r),
  toString: () => "int32",
};

/**
 * A varint's low 32 bits as a signed int. They are all in its first five bytes (35 bits);
 * the five more of the sign-extended 64-bit form are read past.
 */
function readVarInt32(r: ByteReader): number {
  let result = 0;
  let factor = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.readByte();
    if (i < 5) {
      result += (b & 0x7f) * factor;
      factor *= 0x80;
    }
    if (b < 0x80) return result | 0;
  }
  throw new CoderError(`A varint longer than 10 bytes at offset ${r.position}: the input is not a Beam varint.`);
}

const ATOMIC_CODERS: Record<AtomicType, Coder<unknown>> = {
  BYTE: byteCoder as Coder<unknown>,
  INT16: int16Coder as Coder<unknown>,
  INT32: int32Coder as Coder<unknown>,
  INT64: int64Coder as Coder<unknown>,
  FLOAT: floatCoder as Coder<unknown>,
  DOUBLE: doubleCoder as Coder<unknown>,
  STRING: stringUtf8Coder as Coder<unknown>,
  BOOLEAN: boolCoder as Coder<unknown>,
  BYTES: bytesCoder as Coder<unknown>,
};

/** Beam's MapCoder: a 4-byte count then key/value pairs; maps are JS Maps. */
class MapCoder implements Coder<Map<unknown, unknown>> {
  readonly urn = "beam-ts:coder:schema_map";
  readonly components: readonly Coder<unknown>[];
  readonly deterministic = false;
  constructor(
    readonly keyCoder: Coder<unknown>,
    readonly valueCoder: Coder<unknown>,
  ) {
    this.components = [keyCoder, valueCoder];
  }
  encode(value: Map<unknown, unknown>, writer: ByteWriter): void {
    const entries = value instanceof Map ? [...value] : Object.entries(value as object);
    writer.writeInt32BE(entries.length);
    for (const [k, v] of entries) {
      this.keyCoder.encode(k, writer, true);
      this.valueCoder.encode(v, writer, true);
    }
  }
  decode(reader: ByteReader): Map<unknown, unknown> {
    const n = reader.readInt32BE();
    const out = new Map<unknown, unknown>();
    for (let i = 0; i < n; i++) {
      const k = this.keyCoder.decode(reader, true);
      out.set(k, this.valueCoder.decode(reader, true));
    }
    return out;
  }
  toString(): string {
    return `map<${this.keyCoder.toString()}, ${this.valueCoder.toString()}>`;
  }
}

/** The coder of a field's values, ignoring the field's own nullability. */
function baseCoder(type: FieldType): Coder<unknown> {
  switch (type.kind) {
    case "atomic":
      return ATOMIC_CODERS[type.type];
    case "array":
    case "iterable":
      return iterableCoder(valueCoder(type.element)) as Coder<unknown>;
    case "map":
      return new MapCoder(valueCoder(type.key), valueCoder(type.value)) as Coder<unknown>;
    case "row":
      // Nested rows are checked with their parent's value, once.
      return new RowCoder(type.schema, undefined) as Coder<unknown>;
    case "logical":
      return LOGICAL_TYPE_CODERS[type.urn] ?? logicalValueCoder(type, baseCoder(type.representation));
  }
}

/** The coder of a value inside a collection: nullable types get the nullable coder. */
function valueCoder(type: FieldType): Coder<unknown> {
  const base = baseCoder(type);
  return type.nullable === true ? (nullableCoder(base) as Coder<unknown>) : base;
}

/**
 * Beam's RowCoder: the field count (varint), a null bitmap (varint byte length, then
 * bytes with bit i set when the schema's field i is null; trailing zero bytes dropped),
 * then every non-null field, nested, in encoding order. The encoding order is the
 * schema's unless it sets encoding positions; the bitmap stays in schema order either
 * way (Python's RowCoderImpl).
 */
class RowCoder implements Coder<Row> {
  readonly urn = CoderUrns.row;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic: boolean;
  private encodedSchema: Uint8Array | undefined;
  private readonly names: readonly string[];
  private readonly nullable: readonly boolean[];
  private readonly coders: readonly Coder<unknown>[];
  /** The schema index of the field at each encoding position. */
  private readonly order: readonly number[];
  private readonly bitmap: Uint8Array;

  /**
   * @param check the name a value check starts its field paths with (`Order`), or undefined
   *   for a row nested in one that checks
   */
  constructor(
    readonly schema: Schema,
    private readonly check: string | undefined,
  ) {
    const fields = schema.fields;
    this.names = fields.map((f) => f.name);
    this.nullable = fields.map((f) => f.type.nullable === true);
    this.coders = fields.map((f) => baseCoder(f.type));
    const order = fields.map((_, i) => i);
    if (schema.encodingPositionsSet === true) {
      order.sort((a, b) => (fields[a]?.encodingPosition ?? 0) - (fields[b]?.encodingPosition ?? 0));
    }
    this.order = order;
    this.bitmap = new Uint8Array(Math.ceil(fields.length / 8));
    this.deterministic = this.coders.every((c) => c.deterministic);
  }

  /** The schema proto: the coder's Runner API payload, which carries the schema to other SDKs. */
  get payload(): Uint8Array {
    return (this.encodedSchema ??= encodeSchemaProto(this.schema));
  }

  encode(row: Row, writer: ByteWriter): void {
    if (this.check !== undefined) {
      const problem = rowMismatch(this.schema, row, this.check);
      if (problem !== undefined) throw new CoderError(`${problem}. The row coder writes only values of the schema's types (docs/ARCHITECTURE.md, "Schemas").`);
    }
    if (row === null || typeof row !== "object") {
      throw new CoderError(`row coder expected an object with fields ${this.names.join(", ")} but got ${describeValue(row)}.`);
    }
    const n = this.names.length;
    writer.writeVarInt(n);
    // The null bitmap is built in a scratch array (encoding is synchronous, and a nested row
    // has its own coder) and written byte by byte: no array per row.
    const bitmap = this.bitmap;
    bitmap.fill(0);
    let bitmapLength = 0;
    for (let i = 0; i < n; i++) {
      const v = row[this.names[i] as string];
      if (v === null || v === undefined) {
        if (!(this.nullable[i] as boolean)) {
          throw new CoderError(`Row field "${this.names[i]}" is not nullable but is ${String(v)} in ${describeValue(row)}.`);
        }
        bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
        bitmapLength = (i >> 3) + 1;
      }
    }
    writer.writeVarInt(bitmapLength);
    for (let b = 0; b < bitmapLength; b++) writer.writeByte(bitmap[b] as number);
    const order = this.order;
    for (let k = 0; k < order.length; k++) {
      const i = order[k] as number;
      const v = row[this.names[i] as string];
      if (v !== null && v !== undefined) (this.coders[i] as Coder<unknown>).encode(v, writer, true);
    }
  }

  decode(reader: ByteReader): Row {
    const n = reader.readVarInt();
    if (n > this.names.length) {
      throw new CoderError(`A row with ${n} fields cannot be decoded with a schema of ${this.names.length} fields.`);
    }
    const bitmapLength = reader.readVarInt();
    const bitmap = bitmapLength === 0 ? undefined : reader.readBytes(bitmapLength);
    const row: Row = {};
    // Fields past the encoded count were added to the schema since: null, as in Beam.
    for (let k = 0; k < this.order.length; k++) {
      const i = this.order[k] as number;
      const isNull = k >= n || (bitmap !== undefined && (((bitmap[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
      row[this.names[i] as string] = isNull ? null : (this.coders[i] as Coder<unknown>).decode(reader, true);
    }
    return row;
  }

  toString(): string {
    return `row<${this.names.join(", ")}>`;
  }
}

/**
 * Beam's RowCoder (`beam:coder:row:v1`) for rows of `schema`, with the schema proto as its
 * payload. Every value is checked against the schema before a byte is written; errors name
 * the field path from `options.name` (`Order.address.zip: expected string, got 12345`).
 * `options.unchecked` leaves the check out, for a caller that checked each row just before
 * encoding it (a value of another type then fails in its field's coder, or encodes wrongly).
 *
 * @example
 * const coder = rowCoder({ fields: [{ name: "word", type: { kind: "atomic", type: "STRING" } }] }, { name: "Word" });
 * encodeToBytes(coder, { word: "beam" }); // 01 00 04 "beam"
 */
export function rowCoder(schema: Schema, options: { readonly name?: string; readonly unchecked?: boolean } = {}): Coder<Row> {
  return new RowCoder(schema, options.unchecked === true ? undefined : (options.name ?? "row"));
}
