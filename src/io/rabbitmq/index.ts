// RabbitMQ IO (AMQP 0-9-1 through amqplib): consume a queue, acknowledging after commit; publish with confirms.
export { readFromRabbitMq, type RabbitMqMessage, type ReadFromRabbitMqOptions } from "./read-from-rabbitmq.js";
export { writeToRabbitMq, type RabbitMqRecord, type WriteToRabbitMqOptions } from "./write-to-rabbitmq.js";
export type { RabbitMqConnection, RabbitMqTlsOptions, SecretOrString } from "./rabbitmq-connection.js";
export { RabbitMqIOError } from "./rabbitmq-io-error.js";
export { RABBITMQ_RECONNECTS_METRIC, RABBITMQ_RETRIES_METRIC } from "./metrics.js";
