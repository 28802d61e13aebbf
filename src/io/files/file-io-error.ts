import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A file write could not be finalized: a rename, a removal or the success marker failed.
 * Code `"IO"`, as the text connector's TextIOError.
 *
 * @example throw new FileIOError(`Cannot remove the previous marker "${file}": ${reason}`)
 */
export class FileIOError extends IOError {}
