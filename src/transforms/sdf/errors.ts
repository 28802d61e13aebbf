import { BeamError } from "../../model/index.js";

/**
 * A splittable-DoFn building block was misused: a malformed restriction, a claim out of
 * order, a restriction left unfinished (`checkDone`), or a watermark out of bounds. Beam
 * raises IllegalArgumentException / IllegalStateException for the same cases; the
 * messages here are Beam's, so they read the same in logs from either SDK.
 *
 * @example
 * try { tracker.checkDone(); } catch (e) { if (e instanceof SplittableDoFnError) report(e.message); }
 */
export class SplittableDoFnError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SPLITTABLE_DO_FN", message, options);
  }
}
