import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A Pub/Sub IO step failed at run time: the service (or emulator) cannot be reached, refused
 * the credentials, has no such topic or subscription, or refused a publish. `retryable:
 * false` marks a failure a retry cannot fix; undefined lets the runner decide. Messages
 * never hold credentials.
 */
export class PubSubIOError extends IOError {}
