import { BeamError } from "../../model/index.js";

/**
 * A Redis IO step failed at run time: the server cannot be reached, refused the
 * credentials, or rejected an element's command. `retryable: false` marks a failure a retry
 * cannot fix (a wrong password, an element the server rejects), so the runner fails the
 * bundle at once; undefined lets the runner decide (a lost connection is retried).
 * Messages never hold a password: addresses are printed by `describeAddress`.
 */
export class RedisIOError extends BeamError {
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
