import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A RabbitMQ IO step failed at run time: the broker cannot be reached, refused the
 * credentials, has no such queue or exchange, or returned a message no queue takes.
 * `retryable: false` marks a failure a retry cannot fix (a wrong password, a missing queue);
 * undefined lets the runner decide (a lost connection is retried). Messages never hold a
 * password: addresses are printed as `amqp://user:****@host:port/vhost`.
 */
export class RabbitMqIOError extends IOError {}
