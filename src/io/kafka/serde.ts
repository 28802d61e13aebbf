import { ConstructionError } from "../../model/index.js";
import { KafkaIOError, messageOf } from "./kafka-io-error.js";

/** A record key or value deserializer: bytes to a value (throwing on bytes it cannot read). */
export type KafkaDeserializer<T> = (bytes: Uint8Array) => T;
/** A record key or value serializer. */
export type KafkaSerializer<T> = (value: T) => Uint8Array;

/** The built-in formats: UTF-8 text, JSON text, or the bytes as they are. */
export type KafkaFormat = "string" | "json" | "bytes";

/**
 * Avro binary encoding of one schema (the record's bytes are the datum alone, no container
 * header), with the avsc library (an optional peer dependency, loaded when the step is set
 * up). `confluentWireFormat`: the bytes start with Confluent Schema Registry's magic byte 0
 * and a 4-byte schema id (written with `schemaId`; skipped on read, whatever the id, so the
 * given schema must be the writer's). Avro `long` decodes to a JS number (exact up to 2^53).
 *
 * @example readFromKafka<Uint8Array, { id: number }>({ ..., valueDeserializer: { avroSchema: { type: "record", name: "Order", fields: [{ name: "id", type: "int" }] } } })
 */
export interface KafkaAvroFormat {
  /** The schema, as JSON text or the parsed object. */
  readonly avroSchema: string | object;
  readonly confluentWireFormat?: { readonly schemaId: number };
}

/** A (de)serializer that may need `prepareSerde` before its first use (Avro's). */
type Preparable = { prepare?: () => Promise<void> };

/** Loads what a (de)serializer needs (avsc and its schema) before its first use; a no-op for the others. */
export async function prepareSerde(fn: unknown, step: string): Promise<void> {
  const prepare = (fn as Preparable).prepare;
  if (prepare === undefined) return;
  try {
    await prepare();
  } catch (err) {
    throw new KafkaIOError(`"${step}": ${messageOf(err)}`, { cause: err, retryable: false });
  }
}

type AvscType = { fromBuffer(b: Buffer): unknown; toBuffer(v: unknown): Buffer };

function isAvro(format: unknown): format is KafkaAvroFormat {
  return typeof format === "object" && format !== null && "avroSchema" in format;
}

/** Checks a key or value format at construction (an Avro schema is parsed at setup, where avsc is loaded). */
export function checkFormat(transform: string, format: unknown): void {
  if (isAvro(format)) {
    const { avroSchema, confluentWireFormat } = format;
    if (typeof avroSchema !== "string" && (typeof avroSchema !== "object" || avroSchema === null)) {
      throw new ConstructionError(`${transform}: avroSchema must be an Avro schema (JSON text or object), got ${typeof avroSchema}.`);
    }
    const id = confluentWireFormat?.schemaId;
    if (confluentWireFormat !== undefined && !(Number.isInteger(id) && id! >= 0 && id! <= 0x7fffffff)) {
      throw new ConstructionError(`${transform}: confluentWireFormat.schemaId must be a schema registry id (an integer >= 0), got ${String(id)}.`);
    }
    return;
  }
  deserializerOf(transform, format as KafkaFormat);
}

/** A function that throws until `prepare` has loaded avsc and parsed the schema, then runs `use`. */
function withAvroType<A, R>(format: KafkaAvroFormat, use: (type: AvscType, a: A) => R): ((a: A) => R) & Preparable {
  let type: AvscType | undefined;
  const fn = (a: A): R => {
    if (type === undefined) throw new Error("the Avro (de)serializer was used before its step's setup loaded avsc");
    return use(type, a);
  };
  fn.prepare = async () => {
    let avsc: typeof import("avsc");
    try {
      const m = (await import("avsc")) as typeof import("avsc") & { default?: typeof import("avsc") };
      avsc = m.default ?? m;
    } catch (err) {
      throw new Error(`Avro keys or values need the package "avsc", which is not installed (${messageOf(err)}). Install it: npm install avsc@^5.7.9`, { cause: err });
    }
    const schema = typeof format.avroSchema === "string" ? (JSON.parse(format.avroSchema) as object) : format.avroSchema;
    type = avsc.Type.forSchema(schema as import("avsc").Schema) as unknown as AvscType;
  };
  return fn;
}

const CONFLUENT_MAGIC = 0;

function avroDeserializer<T>(format: KafkaAvroFormat): KafkaDeserializer<T> & Preparable {
  const framed = format.confluentWireFormat !== undefined;
  return withAvroType(format, (type, bytes: Uint8Array) => {
    let b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (framed) {
      if (b.length < 5 || b[0] !== CONFLUENT_MAGIC) throw new Error("not in Confluent's wire format (no magic byte 0 and schema id)");
      b = b.subarray(5);
    }
    return type.fromBuffer(b) as T;
  });
}

function avroSerializer<T>(format: KafkaAvroFormat): KafkaSerializer<T> & Preparable {
  const id = format.confluentWireFormat?.schemaId;
  return withAvroType(format, (type, value: T) => {
    const datum = type.toBuffer(value);
    if (id === undefined) return new Uint8Array(datum.buffer, datum.byteOffset, datum.byteLength);
    const out = Buffer.alloc(5 + datum.length);
    out.writeUInt8(CONFLUENT_MAGIC, 0);
    out.writeUInt32BE(id, 1);
    datum.copy(out, 5);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  });
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The deserializer of a format; strict: invalid UTF-8, JSON or Avro throws (and dead-letters the record). Avro needs prepareSerde first. */
export function deserializerOf<T>(transform: string, format: KafkaFormat | KafkaDeserializer<T> | KafkaAvroFormat): KafkaDeserializer<T> {
  if (typeof format === "function") return format;
  if (isAvro(format)) return avroDeserializer<T>(format);
  switch (format) {
    case "string":
      return (b) => decoder.decode(b) as T;
    case "json":
      return (b) => JSON.parse(decoder.decode(b)) as T;
    case "bytes":
      return (b) => b as T;
    default:
      throw new ConstructionError(`${transform}: unknown deserializer ${JSON.stringify(format)}; use "string", "json", "bytes" or a function (bytes) => value.`);
  }
}

/** The serializer of a format. Avro needs prepareSerde first. */
export function serializerOf<T>(transform: string, format: KafkaFormat | KafkaSerializer<T> | KafkaAvroFormat): KafkaSerializer<T> {
  if (typeof format === "function") return format;
  if (isAvro(format)) {
    checkFormat(transform, format);
    return avroSerializer<T>(format);
  }
  switch (format) {
    case "string":
      return (v) => {
        if (typeof v !== "string") throw new TypeError(`the "string" serializer needs a string, got ${typeof v}`);
        return encoder.encode(v);
      };
    case "json":
      return (v) => encoder.encode(JSON.stringify(v));
    case "bytes":
      return (v) => {
        if (!(v instanceof Uint8Array)) throw new TypeError(`the "bytes" serializer needs a Uint8Array, got ${typeof v}`);
        return v;
      };
    default:
      throw new ConstructionError(`${transform}: unknown serializer ${JSON.stringify(format)}; use "string", "json", "bytes" or a function (value) => Uint8Array.`);
  }
}
