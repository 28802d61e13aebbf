import { BeamError } from "../../model/index.js";

/**
 * A file write could not be finalized: a rename, a removal or the success marker failed.
 * Code `"IO"`, as the text connector's TextIOError.
 *
 * @example throw new FileIOError(`Cannot remove the previous marker "${file}": ${reason}`)
 */
export class FileIOError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("IO", message, options);
  }
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
