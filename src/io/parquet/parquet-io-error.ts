import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A Parquet IO step failed at run time: an unreadable or corrupt file, a file whose schema
 * differs from the pipeline's, a row that does not fit the written schema. `retryable: false`
 * marks a failure a retry cannot fix (the bytes of a file), so the runner fails at once.
 */
export class ParquetIOError extends IOError {}
