import { ConstructionError } from "../../model/index.js";

/** A record key or value deserializer: bytes to a value (throwing on bytes it cannot read). */
export type KafkaDeserializer<T> = (bytes: Uint8Array) => T;
/** A record key or value serializer. */
export type KafkaSerializer<T> = (value: T) => Uint8Array;

/** The built-in formats: UTF-8 text, JSON text, or the bytes as they are. */
export type KafkaFormat = "string" | "json" | "bytes";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The deserializer of a built-in format; strict: invalid UTF-8 or JSON throws (and dead-letters the record). */
export function deserializerOf<T>(transform: string, format: KafkaFormat | KafkaDeserializer<T>): KafkaDeserializer<T> {
  if (typeof format === "function") return format;
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

/** The serializer of a built-in format. */
export function serializerOf<T>(transform: string, format: KafkaFormat | KafkaSerializer<T>): KafkaSerializer<T> {
  if (typeof format === "function") return format;
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
