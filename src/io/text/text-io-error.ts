import { IOError } from "../../model/index.js";

export { messageOf } from "../../model/index.js";

/**
 * A text IO step failed at run time: a missing match, an unreadable file, a bad line.
 * `retryable: false` marks a failure a retry cannot fix (the bytes of a file), so the
 * runner fails the bundle at once.
 */
export class TextIOError extends IOError {}

/** A line cut to `max` characters for an error message. */
export function truncate(text: string, max = 120): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)`;
}
