import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A Kafka IO step failed at run time: the brokers cannot be reached, a topic is missing, a
 * partition cannot be fetched, or a transaction could not be committed. `retryable: false`
 * marks what a retry cannot fix (the client library missing, a topic that does not exist,
 * a transaction fenced after its timeout); undefined lets the runner retry the bundle.
 * Messages name the bootstrap servers and never a SASL password.
 */
export class KafkaIOError extends IOError {}
