import { BeamError } from "../../model/index.js";

/** A text IO step failed at run time: a missing match, an unreadable file, a bad line. */
export class TextIOError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("IO", message, options);
  }
}

/** A line cut to `max` characters for an error message. */
export function truncate(text: string, max = 120): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)`;
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
