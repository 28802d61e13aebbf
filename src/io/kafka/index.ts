// Kafka IO: read topics as an unbounded (or bounded) splittable source, write records idempotently or exactly once.
export { readFromKafka, type KafkaStartOffset, type ReadFromKafkaOptions } from "./read-from-kafka.js";
export type { KafkaHeader, KafkaRecord, RawKafkaRecord } from "./kafka-record.js";
export type { KafkaTimestampPolicy } from "./kafka-watermark.js";
export type { KafkaConnection, KafkaSasl, KafkaTlsOptions, SecretOrString } from "./kafka-connection.js";
export type { KafkaAvroFormat, KafkaDeserializer, KafkaFormat, KafkaSerializer } from "./serde.js";
export { KafkaIOError } from "./kafka-io-error.js";
export type { KafkaClientConfig } from "./kafka-client-config.js";
export { KAFKA_RECONNECTS_METRIC, KAFKA_RETRIES_METRIC } from "./broker-outage.js";
export { KAFKA_UNREADABLE_PARTITION_METRIC } from "./unreadable-partition.js";
export { writeToKafka, type KafkaWriteRecord, type WriteToKafkaOptions } from "./write-to-kafka.js";
