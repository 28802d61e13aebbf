// Avro object container files: read and write (Beam's AvroIO), with avsc as an optional peer dependency.
export { readAvro, beamSchemaOfAvro, type ReadAvroOptions } from "./read-avro.js";
export { writeAvro, type WriteAvroOptions } from "./write-avro.js";
export { avroSink, DEFAULT_SYNC_INTERVAL, type AvroSinkOptions } from "./avro-sink.js";
export { avroSchemaOfRow } from "./avro-schema-of-row.js";
export type { CorruptBlockTreatment } from "./read-avro-fn.js";
export type { AvroCodec } from "./container-format.js";
export { AvroIOError } from "./avro-io-error.js";
