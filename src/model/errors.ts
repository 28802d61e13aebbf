import { printsAsReport } from "./failure-report.js";

/**
 * One error hierarchy for the whole project. Every error has a stable `code` that tools and
 * tests can match on, and a message that says where, what, and how to fix.
 */
export class BeamError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An IO connector failed at run time (code `"IO"`): a file, a server, a record. The
 * connectors' own errors (TextIOError, PostgresIOError, ...) extend it. `retryable: false`
 * marks a failure a retry cannot fix (the bytes of a file, a refused row), so the runner
 * fails the bundle at once; undefined lets the runner's retry policy decide.
 *
 * @example throw new IOError(`Cannot read "a.txt": EIO`, { cause: err })
 */
export class IOError extends BeamError {
  /** Read by the runner's retry policy; undefined lets the runner decide. */
  readonly retryable: boolean | undefined;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super("IO", message, options);
    this.retryable = options?.retryable;
  }
}

/** The message of any thrown value, for messages that quote a cause. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The pipeline was built wrongly; raised while constructing, before anything runs. */
export class ConstructionError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONSTRUCTION", message, options);
  }
}

/** A value could not be encoded or decoded. */
export class CoderError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CODER", message, options);
  }
}

/** Pipeline options were missing, malformed or invalid. */
export class OptionsError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("OPTIONS", message, options);
  }
}

/** A runner or environment cannot do what the pipeline asks; names the URN or capability. */
export class UnsupportedFeatureError extends BeamError {
  constructor(
    readonly feature: string,
    message: string,
  ) {
    super("UNSUPPORTED", message);
  }
}

/**
 * User code threw while processing. Carries the transform's full label, the element
 * (truncated) and the window; the original exception is the `cause`.
 */
export class UserCodeError extends BeamError {
  constructor(
    readonly transform: string,
    readonly element: string | undefined,
    readonly window: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("USER_CODE", message, options);
  }
}

/**
 * A step changed an element it must not change: its input, or a value after it output it
 * (Beam's IllegalMutationException). Other steps may already hold the same object, so the
 * change would silently alter what they see. `before` and `after` are the element's
 * renderings, truncated.
 *
 * @example
 * // thrown by the embedded runner (--enforceImmutability) for
 * // map((o: { n: number }) => { o.n = -1; return o; })
 * err.code === "ILLEGAL_MUTATION"; err.transform === "Negate";
 */
export class IllegalMutationError extends BeamError {
  constructor(
    readonly transform: string,
    readonly before: string,
    readonly after: string,
    message: string,
  ) {
    super("ILLEGAL_MUTATION", message);
  }
  /** The same element fails the same way again: the runner does not retry the bundle. */
  get retryable(): boolean {
    return false;
  }
}

/**
 * An element its PCollection's coder cannot encode (or decode again) where it crosses a
 * materialized edge (--enforceEncodability): a function, a cyclic object, a class instance
 * without a coder. `transform` is the step that output it.
 *
 * @example
 * // map((i: number) => kv("k", () => i)).apply(groupByKey()) fails with
 * // err.code === "CODER"; err.transform === "MakeValues"
 */
export class NotEncodableError extends CoderError {
  constructor(
    readonly transform: string,
    readonly element: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** The same element fails the same way again: the runner does not retry the bundle. */
  get retryable(): boolean {
    return false;
  }
}

/**
 * The job failed; `cause` is the error that failed it. It prints (uncaught, in
 * console.log, in test runners) as its message and the chain of causes, without stack
 * frames; `verbose` (a program's own `--verbose` option) or BEAM_TS_VERBOSE=1 adds every
 * stack.
 *
 * @example
 * try { await pipeline.run().waitUntilFinish(); }
 * catch (err) { if (err instanceof JobFailedError) console.error(err.stack); }
 * // JobFailedError: Pipeline failed: Transform "Parse" failed while processing element "x": SyntaxError: …
 * //   caused by: SyntaxError: Unexpected token 'x', "x" is not valid JSON
 */
export class JobFailedError extends BeamError {
  constructor(message: string, options?: { cause?: unknown; verbose?: boolean }) {
    super("JOB_FAILED", message, options?.cause === undefined ? undefined : { cause: options.cause });
    printsAsReport(this, options?.verbose ?? false);
  }
}

/** An `assertThat` check did not hold. The message carries a readable expected/actual diff. */
export class AssertionFailedError extends BeamError {
  constructor(message: string) {
    super("ASSERTION", message);
  }
}

/**
 * A failure that retrying cannot fix (a malformed record, a rejected request, a missing
 * input): the runner fails the bundle at once instead of retrying it. Any error with
 * `retryable: false` counts the same, so an existing error can be marked in place.
 *
 * @example
 * map((line: string) => {
 *   if (!line.startsWith("{")) throw new PermanentError(`not a JSON object: ${line.slice(0, 40)}`);
 *   return JSON.parse(line) as unknown;
 * });
 * // or: catch (err) { throw Object.assign(err as Error, { retryable: false }); }
 */
export class PermanentError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PERMANENT", message, options);
  }
  /** Read by the runner's retry policy. */
  get retryable(): boolean {
    return false;
  }
}

/**
 * A failure that may pass when retried (a timeout, a throttled request), even if what it
 * wraps looks permanent (undici's `fetch` reports network failures as a TypeError): the
 * runner retries the bundle with backoff up to `--maxBundleRetries`. Any error with
 * `retryable: true` counts the same.
 *
 * @example
 * parDo({ async process(url: string, ctx) {
 *   const res = await fetch(url);
 *   if (res.status === 429 || res.status >= 500) throw new TransientError(`${url}: HTTP ${res.status}`);
 *   ctx.output(await res.text());
 * } });
 */
export class TransientError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TRANSIENT", message, options);
  }
  /** Read by the runner's retry policy. */
  get retryable(): boolean {
    return true;
  }
}

/** Renders any value for an error message, cut to `max` characters. */
export function describeValue(value: unknown, max = 200): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : stringifyLoosely(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

function stringifyLoosely(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `bytes[${value.length}]`;
  const seen = new WeakSet<object>();
  const json = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Map) return { "Map": [...v.entries()] };
    if (v instanceof Set) return { "Set": [...v.values()] };
    if (v instanceof Uint8Array) return `bytes[${v.length}]`;
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[circular]";
      seen.add(v);
    }
    return v;
  });
  return json ?? String(value);
}
