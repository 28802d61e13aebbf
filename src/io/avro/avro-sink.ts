import { ConstructionError, RowSchema } from "../../model/index.js";
import type { FileSink, ShardSink } from "../files/index.js";
import type { CreateOptions } from "../filesystems/index.js";
import { AvroIOError, messageOf } from "./avro-io-error.js";
import { avroSchemaOfRow } from "./avro-schema-of-row.js";
import { AvroShardWriter, type AvroShardSettings } from "./avro-shard-writer.js";
import { mapAvroSchema } from "./avro-values.js";
import { avscType, loadAvsc } from "./avsc-module.js";
import { checkWritableCodec, compressorOf } from "./block-codecs.js";
import { AVRO_CODECS, type AvroCodec } from "./container-format.js";

/** Options of avroSink (and the format options of writeAvro). */
export interface AvroSinkOptions {
  /** The records' schema: an Avro schema (parsed JSON) or a Beam RowSchema, converted (avroSchemaOfRow). */
  readonly schema: object | RowSchema<unknown>;
  /**
   * Block compression: "deflate" (default, as Beam Python's WriteToAvro), "snappy" (Beam
   * Java's default; needs the optional package `hysnappy`), "zstandard" (needs node:zlib's
   * zstd: Node 22.15+ or 23.8+) or "null".
   */
  readonly codec?: AvroCodec;
  /** Bytes of records (before compression) per block, between sync markers. Default 64000, Avro's. */
  readonly syncInterval?: number;
}

/** Avro's default sync interval (DataFileConstants.DEFAULT_SYNC_INTERVAL). */
export const DEFAULT_SYNC_INTERVAL = 64000;

/**
 * Beam's AvroIO.sink(schema): a FileSink for writeFiles writing each element as a record of
 * `schema` to an Avro object container file (the schema in its header, blocks of
 * `syncInterval` bytes compressed with `codec`, a random sync marker per file): the files
 * writeAvro writes. Values follow the schema module's types (long takes a bigint,
 * timestamp-millis an Instant); an element that does not fit the schema fails the write
 * naming it and its file.
 *
 * @example users.apply(writeFiles({ to: "out/users", by: (u: User) => u.country, sink: avroSink({ schema: User }), suffix: ".avro" }))
 */
export function avroSink<T = unknown>(options: AvroSinkOptions): FileSink<T> {
  return resolveAvroSink<T>("avroSink", options);
}

/** @internal An Avro sink whose options are checked at construction and whose messages start with `what` (avroSink, writeAvro). */
export function resolveAvroSink<T>(what: string, options: AvroSinkOptions): FileSink<T> {
  if (typeof options !== "object" || options === null) {
    throw new ConstructionError(`${what} needs { schema }: an Avro schema (parsed JSON) or a Beam RowSchema; got ${String(options)}.`);
  }
  const { codec = "deflate", syncInterval = DEFAULT_SYNC_INTERVAL } = options;
  if (!AVRO_CODECS.includes(codec)) {
    throw new ConstructionError(
      `${what}: codec must be one of ${AVRO_CODECS.map((c) => `"${c}"`).join(", ")}, got ${String(codec)}. (Avro's bzip2 and xz have no codec in beam-ts.)`,
    );
  }
  checkWritableCodec(codec, what);
  if (!Number.isInteger(syncInterval) || syncInterval < 32 || syncInterval > 2 ** 30) {
    throw new ConstructionError(`${what}: syncInterval must be an integer from 32 to 2^30 bytes (Avro's bounds), got ${String(syncInterval)}.`);
  }
  const avroSchema = resolveSchema(what, options.schema);
  const schemaJson = JSON.stringify(avroSchema);
  const mapping = mapAvroSchema(avroSchema);
  // avsc and the codec's package are loaded, and the schema compiled, once per sink when its first file opens.
  let shared: Promise<AvroShardSettings> | undefined;
  const settings = (): Promise<AvroShardSettings> =>
    (shared ??= Promise.all([loadAvsc(), compressorOf(codec, what)]).then(([avsc, compress]) => {
      try {
        return { what, schemaJson, type: avscType(avsc, avroSchema), mapping, codec, compress, syncInterval };
      } catch (err) {
        throw new AvroIOError(`${what}: the schema is not a valid Avro schema: ${messageOf(err)}. Schema: ${schemaJson.slice(0, 200)}`, {
          cause: err,
          retryable: false,
        });
      }
    }));
  return {
    open: async (file: string, createOptions?: CreateOptions): Promise<ShardSink<T>> => AvroShardWriter.open(file, await settings(), createOptions),
  };
}

function resolveSchema(what: string, schema: object | RowSchema<unknown>): object {
  if (schema instanceof RowSchema) {
    try {
      return avroSchemaOfRow(schema.schema, schema.name);
    } catch (err) {
      throw new ConstructionError(`${what}: the Beam schema has no Avro equivalent: ${messageOf(err)}`, { cause: err });
    }
  }
  if (typeof schema !== "object" || schema === null) {
    throw new ConstructionError(`${what} needs { schema }: an Avro schema (parsed JSON) or a Beam RowSchema; got ${String(schema)}.`);
  }
  return schema;
}
