import { CoderError, type FieldType, type Schema } from "../model/index.js";

/**
 * Writes Beam's schema proto (schema.proto), the payload of `beam:coder:row:v1`, by hand as
 * `schema.ts` reads it: coders sit below the generated protos. Fields at their proto3 default
 * (false, 0, "") are left out, as every protobuf library does.
 */

const ATOMIC_NUMBER = { BYTE: 1, INT16: 2, INT32: 3, INT64: 4, FLOAT: 5, DOUBLE: 6, STRING: 7, BOOLEAN: 8, BYTES: 9 } as const;
const utf8 = new TextEncoder();

/** A growable protobuf message body. */
class ProtoWriter {
  private readonly parts: number[] = [];
  varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, 2);
    this.varint(bytes.length);
    for (const b of bytes) this.parts.push(b);
  }
  stringField(field: number, s: string): void {
    if (s !== "") this.bytesField(field, utf8.encode(s));
  }
  varintField(field: number, n: number | bigint | boolean): void {
    const v = typeof n === "boolean" ? (n ? 1 : 0) : n;
    if (v === 0 || v === 0n) return;
    this.tag(field, 0);
    this.varint(v);
  }
  fixedField(field: number, bytes: Uint8Array, wire: 1 | 5): void {
    this.tag(field, wire);
    for (const b of bytes) this.parts.push(b);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/**
 * Serializes a schema as `org.apache.beam.model.pipeline.v1.Schema`. A schema without an id
 * gets one derived from its fields (`schemaId`), as Beam requires an id and the pipeline a
 * worker rebuilds must serialize to the same bytes.
 *
 * @example
 * const payload = encodeSchemaProto({ fields: [{ name: "word", type: { kind: "atomic", type: "STRING" } }] });
 */
export function encodeSchemaProto(schema: Schema): Uint8Array {
  const w = new ProtoWriter();
  schema.fields.forEach((f, i) => {
    const fw = new ProtoWriter();
    fw.stringField(1, f.name);
    fw.stringField(2, f.description ?? "");
    fw.bytesField(3, encodeFieldType(f.type));
    fw.varintField(4, i);
    fw.varintField(5, schema.encodingPositionsSet === true ? (f.encodingPosition ?? i) : i);
    w.bytesField(1, fw.finish());
  });
  w.stringField(2, schema.id ?? schemaId(schema));
  w.varintField(4, schema.encodingPositionsSet === true);
  return w.finish();
}

function encodeFieldType(type: FieldType): Uint8Array {
  const w = new ProtoWriter();
  w.varintField(1, type.nullable === true);
  switch (type.kind) {
    case "atomic":
      w.tag(2, 0);
      w.varint(ATOMIC_NUMBER[type.type]);
      break;
    case "array":
    case "iterable": {
      const inner = new ProtoWriter();
      inner.bytesField(1, encodeFieldType(type.element));
      w.bytesField(type.kind === "array" ? 3 : 4, inner.finish());
      break;
    }
    case "map": {
      const inner = new ProtoWriter();
      inner.bytesField(1, encodeFieldType(type.key));
      inner.bytesField(2, encodeFieldType(type.value));
      w.bytesField(5, inner.finish());
      break;
    }
    case "row": {
      const inner = new ProtoWriter();
      inner.bytesField(1, encodeSchemaProto(type.schema));
      w.bytesField(6, inner.finish());
      break;
    }
    case "logical": {
      const inner = new ProtoWriter();
      inner.stringField(1, type.urn);
      inner.bytesField(3, encodeFieldType(type.representation));
      if (type.argumentType !== undefined) {
        inner.bytesField(4, encodeFieldType(type.argumentType));
        inner.bytesField(5, encodeFieldValue(type.argumentType, type.argument));
      }
      w.bytesField(7, inner.finish());
      break;
    }
  }
  return w.finish();
}

/** A schema.proto FieldValue: the argument of a logical type (lengths, enumeration cases). */
function encodeFieldValue(type: FieldType, value: unknown): Uint8Array {
  const w = new ProtoWriter();
  if (value === null || value === undefined) return w.finish();
  switch (type.kind) {
    case "atomic":
      w.bytesField(1, encodeAtomicValue(type.type, value));
      break;
    case "array":
    case "iterable": {
      const inner = new ProtoWriter();
      for (const e of value as Iterable<unknown>) inner.bytesField(1, encodeFieldValue(type.element, e));
      w.bytesField(type.kind === "array" ? 2 : 3, inner.finish());
      break;
    }
    case "map": {
      const inner = new ProtoWriter();
      for (const [k, v] of value as Map<unknown, unknown>) {
        const entry = new ProtoWriter();
        entry.bytesField(1, encodeFieldValue(type.key, k));
        entry.bytesField(2, encodeFieldValue(type.value, v));
        inner.bytesField(1, entry.finish());
      }
      w.bytesField(4, inner.finish());
      break;
    }
    default:
      throw new CoderError(`beam-ts cannot write a logical type argument of kind ${type.kind} to a schema proto.`);
  }
  return w.finish();
}

function encodeAtomicValue(type: keyof typeof ATOMIC_NUMBER, value: unknown): Uint8Array {
  const w = new ProtoWriter();
  const field = ATOMIC_NUMBER[type];
  switch (type) {
    case "BYTE":
    case "INT16":
    case "INT32":
    case "INT64":
      // Always written, even 0: a oneof member that is set is serialized at its default.
      w.tag(field, 0);
      w.varint(BigInt(value as number | bigint));
      break;
    case "FLOAT":
    case "DOUBLE": {
      const bytes = new Uint8Array(type === "FLOAT" ? 4 : 8);
      const view = new DataView(bytes.buffer);
      if (type === "FLOAT") view.setFloat32(0, value as number, true);
      else view.setFloat64(0, value as number, true);
      w.fixedField(field, bytes, type === "FLOAT" ? 5 : 1);
      break;
    }
    case "STRING":
      w.bytesField(field, utf8.encode(value as string));
      break;
    case "BOOLEAN":
      w.tag(field, 0);
      w.varint(value === true ? 1 : 0);
      break;
    case "BYTES":
      w.bytesField(field, value as Uint8Array);
      break;
  }
  return w.finish();
}

/**
 * A UUID derived from a schema's fields (names, types, arguments, positions): equal schemas
 * get equal ids, so a pipeline rebuilt by a worker serializes as the submitter's did and
 * Java's coder cache (keyed by id) treats them as one. 128 bits of two FNV-1a hashes, shaped
 * as an RFC 9562 version 8 (custom) UUID.
 *
 * @example
 * schemaId({ fields: [] }); // "…-8…-…": the same text for every empty schema
 */
export function schemaId(schema: Schema): string {
  const text = canonical({ ...schema, id: undefined });
  let a = 0xcbf29ce484222325n;
  let b = 0x84222325cbf29ce4n;
  for (let i = 0; i < text.length; i++) {
    const c = BigInt(text.charCodeAt(i));
    a = BigInt.asUintN(64, (a ^ c) * 0x100000001b3n);
    b = BigInt.asUintN(64, (b ^ (c + 0x9en)) * 0x100000001b3n);
  }
  const hex = a.toString(16).padStart(16, "0") + b.toString(16).padStart(16, "0");
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function canonical(value: unknown): string {
  if (value instanceof Map) return `Map(${[...value].map(([k, v]) => `${canonical(k)}:${canonical(v)}`).join(",")})`;
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `bytes(${[...value].join(",")})`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}:${canonical(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}
