import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A Redis IO step failed at run time: the server cannot be reached, refused the
 * credentials, or rejected an element's command. `retryable: false` marks a failure a retry
 * cannot fix (a wrong password, an element the server rejects), so the runner fails the
 * bundle at once; undefined lets the runner decide (a lost connection is retried).
 * Messages never hold a password: addresses are printed by `describeAddress`.
 */
export class RedisIOError extends IOError {}
