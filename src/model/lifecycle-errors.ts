import { BeamError } from "./errors.js";

/**
 * A job stopped making progress for good: the step's user code returned a promise that can
 * never settle (nothing is left that could settle it: the thread's event loop is empty).
 * The job fails at once with the step, the method and the element(s) whose calls are
 * pending; it is not retried (the same code would wait the same way).
 *
 * @example
 * // A DoFn whose process awaits a promise nobody resolves:
 * // JobFailedError: Pipeline failed: The job stalled: process of "Enrich" on element 7 … never settled
 * err.cause instanceof StalledError; // true, err.cause.code === "STALLED"
 */
export class StalledError extends BeamError {
  constructor(message: string) {
    super("STALLED", message);
  }
}

/**
 * A `process` call took longer than its ParDo's `timeout` (`parDo(fn, { timeout })`). It
 * fails the element like an exception the DoFn threw: the bundle is retried (a timeout is
 * transient), and a step with exception handling sends the element to its failures output.
 *
 * @example
 * lines.apply(parDo(lookupFn, { timeout: 5_000 })); // a lookup pending for 5 s fails with an ElementTimeoutError
 */
export class ElementTimeoutError extends BeamError {
  constructor(
    readonly step: string,
    readonly timeoutMillis: number,
    message: string,
  ) {
    super("ELEMENT_TIMEOUT", message);
  }
}
