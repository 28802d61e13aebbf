import { ConstructionError } from "../../model/index.js";
import type { PCollection, PTransform } from "../../pipeline/index.js";
import { ShardedWrite, resolveOutputPath } from "../files/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import { resolveAvroSink, type AvroSinkOptions } from "./avro-sink.js";

/** Options of writeAvro: avroSink's (schema, codec, syncInterval), the number of files and their suffix. */
export interface WriteAvroOptions extends AvroSinkOptions {
  /** A fixed number of output files; by default the runner decides (one per bundle). */
  readonly numShards?: number;
  /** Appended to every file name. Default ".avro". */
  readonly suffix?: string;
}

/**
 * Beam's AvroIO.write: writes the elements as records of `schema` to Avro object container
 * files `${prefix}-SSSSS-of-NNNNN.avro` and outputs the final file names. Each file is
 * avroSink's. Sharding and finalization are writeText's (src/io/files): temporary files
 * renamed into place when all are complete, the previous output of the prefix replaced, a
 * success marker written; an empty input still writes one file (a header and no blocks).
 * Values follow the schema module's types (docs/IO.md "Avro"): long takes a bigint,
 * timestamp-millis an Instant.
 *
 * @example rows.apply(writeAvro("out/users", { schema: User, numShards: 2 }))
 */
export function writeAvro<T>(prefix: string, options: WriteAvroOptions): PTransform<PCollection<T>, PCollection<string>> {
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`writeAvro needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  checkFileSystemPath(prefix, "writeAvro");
  const sink = resolveAvroSink<T>("writeAvro", options);
  const { numShards, suffix = ".avro" } = options;
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(`writeAvro: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`);
  }
  if (typeof suffix !== "string") throw new ConstructionError(`writeAvro: suffix must be a string, got ${typeof suffix}.`);
  return new ShardedWrite<T>("WriteAvro", {
    what: "writeAvro",
    prefix: resolveOutputPath(prefix),
    suffix,
    numShards,
    openShard: (file, createOptions) => sink.open(file, createOptions),
    check: (element) => element as T,
  });
}
