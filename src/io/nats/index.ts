// NATS JetStream IO: read a stream through a durable pull consumer, acknowledging after commit; publish to JetStream with message ids.
export { readFromNats, type NatsMessage, type ReadFromNatsOptions } from "./read-from-nats.js";
export { writeToNats, type NatsRecord, type WriteToNatsOptions } from "./write-to-nats.js";
export type { NatsConnection, NatsTlsOptions, SecretOrString } from "./nats-connection.js";
export { NATS_DUPLICATES_METRIC, NATS_RECONNECTS_METRIC } from "./metrics.js";
export { NatsIOError } from "./nats-io-error.js";
