import { CoderError } from "../model/index.js";

import type { AtomicType, Field, FieldType, Schema } from "../model/index.js";

/**
 * Beam schemas (schema.proto): named, typed fields. The types are model values
 * (src/model/schema); this module reads their proto form, `schema-proto-writer.ts` writes it.
 */
export type { AtomicType, Field, FieldType, Schema } from "../model/index.js";

const ATOMIC_BY_NUMBER: readonly (AtomicType | undefined)[] = [
  undefined,
  "BYTE",
  "INT16",
  "INT32",
  "INT64",
  "FLOAT",
  "DOUBLE",
  "STRING",
  "BOOLEAN",
  "BYTES",
];

/** The few protobuf wire-format reads the schema proto needs. */
class ProtoReader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  varint(): number {
    let result = 0;
    let factor = 1;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new CoderError("Truncated protobuf varint in a schema payload.");
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * factor;
      if (b < 0x80) return result;
      factor *= 128;
    }
  }
  /** A varint as the full 64 bits it may hold (negative int32/int64 values take ten bytes). */
  bigVarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new CoderError("Truncated protobuf varint in a schema payload.");
      const b = this.bytes[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
  }
  fixed(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new CoderError("Truncated protobuf field in a schema payload.");
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  lengthDelimited(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.bytes.length) throw new CoderError("Truncated protobuf field in a schema payload.");
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Calls `onField(number, wireType)`; the callback must consume the value or call skip. */
  fields(onField: (field: number, wireType: number) => void): void {
    while (!this.done) {
      const tag = this.varint();
      onField(tag >>> 3, tag & 7);
    }
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.pos += 4;
    else throw new CoderError(`Unsupported protobuf wire type ${wireType} in a schema payload.`);
  }
}

const utf8 = new TextDecoder();

/** Decodes a serialized `org.apache.beam.model.pipeline.v1.Schema`. */
export function decodeSchemaProto(bytes: Uint8Array): Schema {
  const r = new ProtoReader(bytes);
  const fields: Field[] = [];
  let id: string | undefined;
  let encodingPositionsSet = false;
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) fields.push(decodeField(r.lengthDelimited()));
    else if (field === 2 && wire === 2) id = utf8.decode(r.lengthDelimited());
    else if (field === 4 && wire === 0) encodingPositionsSet = r.varint() !== 0;
    else r.skip(wire);
  });
  return id === undefined ? { fields, encodingPositionsSet } : { fields, id, encodingPositionsSet };
}

function decodeField(bytes: Uint8Array): Field {
  const r = new ProtoReader(bytes);
  let name = "";
  let type: FieldType | undefined;
  let encodingPosition = 0;
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) name = utf8.decode(r.lengthDelimited());
    else if (field === 3 && wire === 2) type = decodeFieldType(r.lengthDelimited());
    else if (field === 5 && wire === 0) encodingPosition = r.varint();
    else r.skip(wire);
  });
  if (type === undefined) throw new CoderError(`Schema field "${name}" has no type.`);
  return { name, type, encodingPosition };
}

function decodeFieldType(bytes: Uint8Array): FieldType {
  const r = new ProtoReader(bytes);
  let nullable = false;
  let type: FieldType | undefined;
  r.fields((field, wire) => {
    switch (field) {
      case 1:
        nullable = r.varint() !== 0;
        break;
      case 2: {
        const n = r.varint();
        const atomic = ATOMIC_BY_NUMBER[n];
        if (atomic === undefined) throw new CoderError(`Unknown schema atomic type ${n}.`);
        type = { kind: "atomic", type: atomic };
        break;
      }
      case 3:
      case 4: {
        const element = singleType(r.lengthDelimited(), 1);
        type = { kind: field === 3 ? "array" : "iterable", element };
        break;
      }
      case 5: {
        const m = new ProtoReader(r.lengthDelimited());
        let key: FieldType | undefined;
        let value: FieldType | undefined;
        m.fields((f, w) => {
          if (f === 1) key = decodeFieldType(m.lengthDelimited());
          else if (f === 2) value = decodeFieldType(m.lengthDelimited());
          else m.skip(w);
        });
        if (key === undefined || value === undefined) throw new CoderError("Schema map type without key or value type.");
        type = { kind: "map", key, value };
        break;
      }
      case 6: {
        const m = new ProtoReader(r.lengthDelimited());
        let schema: Schema = { fields: [] };
        m.fields((f, w) => {
          if (f === 1) schema = decodeSchemaProto(m.lengthDelimited());
          else m.skip(w);
        });
        type = { kind: "row", schema };
        break;
      }
      case 7: {
        const m = new ProtoReader(r.lengthDelimited());
        let urn = "";
        let representation: FieldType | undefined;
        let argumentType: FieldType | undefined;
        let argumentBytes: Uint8Array | undefined;
        m.fields((f, w) => {
          if (f === 1) urn = utf8.decode(m.lengthDelimited());
          else if (f === 3) representation = decodeFieldType(m.lengthDelimited());
          else if (f === 4) argumentType = decodeFieldType(m.lengthDelimited());
          else if (f === 5) argumentBytes = m.lengthDelimited();
          else m.skip(w);
        });
        if (representation === undefined) throw new CoderError(`Logical type ${urn} has no representation type.`);
        type =
          argumentType === undefined || argumentBytes === undefined
            ? { kind: "logical", urn, representation }
            : { kind: "logical", urn, representation, argumentType, argument: decodeFieldValue(argumentType, argumentBytes) };
        break;
      }
      default:
        r.skip(wire);
    }
  });
  if (type === undefined) throw new CoderError("Schema field type without a type.");
  return nullable ? { ...type, nullable } : type;
}

function singleType(bytes: Uint8Array, fieldNumber: number): FieldType {
  const r = new ProtoReader(bytes);
  let type: FieldType | undefined;
  r.fields((f, w) => {
    if (f === fieldNumber) type = decodeFieldType(r.lengthDelimited());
    else r.skip(w);
  });
  if (type === undefined) throw new CoderError("Schema collection type without an element type.");
  return type;
}

/**
 * Reads a schema.proto FieldValue of a known type: what logical types' arguments are (an
 * INT32 length, an enumeration's MAP<STRING, INT32>, bytes). Maps become JS Maps, INT64s
 * bigints; a FieldValue with nothing set is null.
 */
function decodeFieldValue(type: FieldType, bytes: Uint8Array): unknown {
  const r = new ProtoReader(bytes);
  let value: unknown = null;
  r.fields((field, wire) => {
    const inner = (): Uint8Array => r.lengthDelimited();
    if (field === 1 && type.kind === "atomic") value = decodeAtomicValue(inner());
    else if ((field === 2 || field === 3) && (type.kind === "array" || type.kind === "iterable")) {
      const list = new ProtoReader(inner());
      const out: unknown[] = [];
      list.fields((f, w) => (f === 1 ? out.push(decodeFieldValue(type.element, list.lengthDelimited())) : list.skip(w)));
      value = out;
    } else if (field === 4 && type.kind === "map") {
      const entries = new ProtoReader(inner());
      const out = new Map<unknown, unknown>();
      entries.fields((f, w) => {
        if (f !== 1) return entries.skip(w);
        const e = new ProtoReader(entries.lengthDelimited());
        let k: unknown = null;
        let v: unknown = null;
        e.fields((ef, ew) => {
          if (ef === 1) k = decodeFieldValue(type.key, e.lengthDelimited());
          else if (ef === 2) v = decodeFieldValue(type.value, e.lengthDelimited());
          else e.skip(ew);
        });
        out.set(k, v);
      });
      value = out;
    } else r.skip(wire);
  });
  return value;
}

function decodeAtomicValue(bytes: Uint8Array): unknown {
  const r = new ProtoReader(bytes);
  let value: unknown = null;
  r.fields((field, wire) => {
    if (field >= 1 && field <= 4 && wire === 0) {
      const big = r.bigVarint();
      value = field === 4 ? BigInt.asIntN(64, big) : Number(BigInt.asIntN(32, big));
    } else if (field === 5 && wire === 5) value = new DataView(r.fixed(4).slice().buffer).getFloat32(0, true);
    else if (field === 6 && wire === 1) value = new DataView(r.fixed(8).slice().buffer).getFloat64(0, true);
    else if (field === 7 && wire === 2) value = utf8.decode(r.lengthDelimited());
    else if (field === 8 && wire === 0) value = r.varint() !== 0;
    else if (field === 9 && wire === 2) value = r.lengthDelimited().slice();
    else r.skip(wire);
  });
  return value;
}
