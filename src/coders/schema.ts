import { CoderError } from "../model/index.js";

/**
 * Beam schemas (schema.proto): named, typed fields. Rows with a schema are plain objects
 * keyed by field name; the row coder encodes them as every Beam SDK does.
 */
export type AtomicType = "BYTE" | "INT16" | "INT32" | "INT64" | "FLOAT" | "DOUBLE" | "STRING" | "BOOLEAN" | "BYTES";

export type FieldType =
  | { readonly kind: "atomic"; readonly type: AtomicType; readonly nullable?: boolean }
  | { readonly kind: "array" | "iterable"; readonly element: FieldType; readonly nullable?: boolean }
  | { readonly kind: "map"; readonly key: FieldType; readonly value: FieldType; readonly nullable?: boolean }
  | { readonly kind: "row"; readonly schema: Schema; readonly nullable?: boolean }
  | {
      readonly kind: "logical";
      readonly urn: string;
      readonly representation: FieldType;
      readonly nullable?: boolean;
    };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly description?: string;
  /** Position on the wire when the schema says encoding positions are set. */
  readonly encodingPosition?: number;
}

export interface Schema {
  readonly fields: readonly Field[];
  /** Beam's schema id (a UUID); rows of equal ids share a coder. */
  readonly id?: string;
  readonly encodingPositionsSet?: boolean;
}

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
        m.fields((f, w) => {
          if (f === 1) urn = utf8.decode(m.lengthDelimited());
          else if (f === 3) representation = decodeFieldType(m.lengthDelimited());
          else m.skip(w);
        });
        if (representation === undefined) throw new CoderError(`Logical type ${urn} has no representation type.`);
        type = { kind: "logical", urn, representation };
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
