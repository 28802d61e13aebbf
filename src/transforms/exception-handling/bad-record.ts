import type { Instant } from "../../model/index.js";

/**
 * An element a step could not process, with why: what a dead-letter output carries (Beam
 * Java's `BadRecord`, Beam Python's `(element, (type, value, traceback))` of
 * `with_exception_handling`). Plain data, so that any sink can write it (JSON lines, a
 * table, a topic) and every coder can encode it.
 */
export interface BadRecord {
  /** The full label of the step that failed, e.g. `ParseOrders/ParDo(parse)`. */
  readonly step: string;
  readonly element: BadElement;
  readonly error: BadRecordError;
  /** The element's window, as text (`[2026-01-01T00:00:00.000Z, …)`, `GlobalWindow`). */
  readonly window: string;
  /** The element's event timestamp. */
  readonly timestamp: Instant;
  /** Which attempt failed: 1 for the first. Dead letters are taken on the first failure. */
  readonly attempt: number;
  /** When it failed, in milliseconds since the epoch (processing time). */
  readonly failedAt: number;
}

/** The failed element: a readable preview, and its bytes when its coder could encode it. */
export interface BadElement {
  /** The element printed for people, truncated. */
  readonly preview: string;
  /** The element encoded with the input PCollection's coder; undefined when that failed. */
  readonly encoded: Uint8Array | undefined;
  /** The coder `encoded` was made with (its URN or name). */
  readonly coder: string;
}

/** The failure: what was thrown. */
export interface BadRecordError {
  /** The error's class name (`TypeError`, `SyntaxError`, a user class) or `typeof` a thrown non-error. */
  readonly type: string;
  readonly message: string;
  /** The stack trace, empty when none (a thrown string). */
  readonly stack: string;
  /** What the step was doing, for failures not thrown by user code (e.g. "invalid UTF-8 at byte 1024"). */
  readonly description?: string;
}
