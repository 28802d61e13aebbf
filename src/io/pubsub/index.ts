// Google Cloud Pub/Sub IO: read a subscription (or a topic through one), acknowledging after commit; publish to a topic.
export { readFromPubSub, type PubSubMessage, type ReadFromPubSubOptions } from "./read-from-pubsub.js";
export { writeToPubSub, type PubSubRecord, type WriteToPubSubOptions } from "./write-to-pubsub.js";
export type { PubSubConnection } from "./pubsub-client.js";
export { PubSubIOError } from "./pubsub-io-error.js";
export { PUBSUB_RECONNECTS_METRIC, PUBSUB_RETRIES_METRIC } from "./reconnect.js";
