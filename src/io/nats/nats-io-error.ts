import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A NATS IO step failed at run time: the server cannot be reached, refused the credentials,
 * has no such stream, or rejected a publish. `retryable: false` marks a failure a retry
 * cannot fix (a wrong password, a missing stream), so the runner fails the bundle at once;
 * undefined lets the runner decide (a lost connection is retried). Messages never hold a
 * password or token: addresses are printed without credentials.
 */
export class NatsIOError extends IOError {}
