import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * An Avro IO step failed: a file that is not Avro, a corrupt or truncated block, a value
 * that does not fit the schema. `retryable: false` marks a failure a retry cannot fix (the
 * bytes of a file), so the runner fails the bundle at once. Code `"IO"`.
 *
 * @example throw new AvroIOError(`readAvro: corrupt block at byte 4096 of "a.avro"`, { retryable: false })
 */
export class AvroIOError extends IOError {}
