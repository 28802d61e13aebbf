import { ConstructionError, RowSchema } from "../../model/index.js";
import type { PCollection, PTransform } from "../../pipeline/index.js";
import { ShardedWrite, resolveOutputPath } from "../files/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import { AvroIOError, messageOf } from "./avro-io-error.js";
import { avroSchemaOfRow } from "./avro-schema-of-row.js";
import { AvroShardWriter, type AvroShardSettings } from "./avro-shard-writer.js";
import { mapAvroSchema } from "./avro-values.js";
import { avscType, loadAvsc } from "./avsc-module.js";
import { AVRO_CODECS, type AvroCodec } from "./container-format.js";

/** Options of writeAvro. */
export interface WriteAvroOptions {
  /** The records' schema: an Avro schema (parsed JSON) or a Beam RowSchema, converted (avroSchemaOfRow). */
  readonly schema: object | RowSchema<unknown>;
  /** Block compression: "deflate" (default, as Beam Python's WriteToAvro) or "null". */
  readonly codec?: AvroCodec;
  /** Bytes of records (before compression) per block, between sync markers. Default 64000, Avro's. */
  readonly syncInterval?: number;
  /** A fixed number of output files; by default the runner decides (one per bundle). */
  readonly numShards?: number;
  /** Appended to every file name. Default ".avro". */
  readonly suffix?: string;
}

/** Avro's default sync interval (DataFileConstants.DEFAULT_SYNC_INTERVAL). */
export const DEFAULT_SYNC_INTERVAL = 64000;

/**
 * Beam's AvroIO.write: writes the elements as records of `schema` to Avro object container
 * files `${prefix}-SSSSS-of-NNNNN.avro` and outputs the final file names. Sharding and
 * finalization are writeText's (src/io/files): temporary files renamed into place when all
 * are complete, the previous output of the prefix replaced, a success marker written; an
 * empty input still writes one file (a header and no blocks). Values follow the schema
 * module's types (docs/IO.md "Avro"): long takes a bigint, timestamp-millis an Instant.
 *
 * @example rows.apply(writeAvro("out/users", { schema: User, numShards: 2 }))
 */
export function writeAvro<T>(prefix: string, options: WriteAvroOptions): PTransform<PCollection<T>, PCollection<string>> {
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`writeAvro needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  checkFileSystemPath(prefix, "writeAvro");
  const { codec = "deflate", syncInterval = DEFAULT_SYNC_INTERVAL, numShards, suffix = ".avro" } = options;
  if (!AVRO_CODECS.includes(codec)) {
    throw new ConstructionError(
      `writeAvro: codec must be "deflate" or "null", got ${String(codec)}. (snappy, zstandard, bzip2 and xz need codecs beam-ts does not bundle.)`,
    );
  }
  if (!Number.isInteger(syncInterval) || syncInterval < 32 || syncInterval > 2 ** 30) {
    throw new ConstructionError(`writeAvro: syncInterval must be an integer from 32 to 2^30 bytes (Avro's bounds), got ${String(syncInterval)}.`);
  }
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(`writeAvro: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`);
  }
  if (typeof suffix !== "string") throw new ConstructionError(`writeAvro: suffix must be a string, got ${typeof suffix}.`);
  const avroSchema = resolveSchema(options.schema);
  const schemaJson = JSON.stringify(avroSchema);
  const mapping = mapAvroSchema(avroSchema);
  let shared: Promise<AvroShardSettings> | undefined;
  const settings = (): Promise<AvroShardSettings> =>
    (shared ??= loadAvsc().then((avsc) => {
      try {
        return { schemaJson, type: avscType(avsc, avroSchema), mapping, codec, syncInterval };
      } catch (err) {
        throw new AvroIOError(`writeAvro: the schema is not a valid Avro schema: ${messageOf(err)}. Schema: ${schemaJson.slice(0, 200)}`, {
          cause: err,
          retryable: false,
        });
      }
    }));
  return new ShardedWrite<T>("WriteAvro", {
    what: "writeAvro",
    prefix: resolveOutputPath(prefix),
    suffix,
    numShards,
    openShard: async (file, createOptions) => AvroShardWriter.open(file, await settings(), createOptions),
    check: (element) => element as T,
  });
}

function resolveSchema(schema: object | RowSchema<unknown>): object {
  if (schema instanceof RowSchema) {
    try {
      return avroSchemaOfRow(schema.schema, schema.name);
    } catch (err) {
      throw new ConstructionError(`writeAvro: the Beam schema has no Avro equivalent: ${messageOf(err)}`, { cause: err });
    }
  }
  if (typeof schema !== "object" || schema === null) {
    throw new ConstructionError(`writeAvro needs { schema }: an Avro schema (parsed JSON) or a Beam RowSchema; got ${String(schema)}.`);
  }
  return schema;
}
