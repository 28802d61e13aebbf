import { BeamError } from "../../model/index.js";

/**
 * A Parquet IO step failed at run time: an unreadable or corrupt file, a file whose schema
 * differs from the pipeline's, a row that does not fit the written schema. `retryable: false`
 * marks a failure a retry cannot fix (the bytes of a file), so the runner fails at once.
 */
export class ParquetIOError extends BeamError {
  /** Read by the runner's retry policy; undefined lets the runner decide. */
  readonly retryable: boolean | undefined;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super("IO", message, options);
    this.retryable = options?.retryable;
  }
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
