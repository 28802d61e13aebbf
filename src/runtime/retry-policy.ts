import { BeamError, PermanentError, TransientError } from "../model/index.js";

/**
 * Which bundle failures are worth retrying, and how long to wait before each retry.
 *
 * Beam leaves this to runners: Dataflow attempts a failing bundle 4 times in batch and
 * for ever in streaming, whatever the error; Beam Python's and Java's direct runners do
 * not retry at all; Prism, Flink and Spark fail the job (or restart it from a checkpoint).
 * A local runner that retries everything spends its attempts on errors that cannot
 * change (a missing file, a bug), so the embedded runner retries only failures not known
 * to be permanent, with exponential backoff and jitter as Beam's FluentBackoff does.
 */

/** Whether a failure may pass when retried, and why it is classified so. */
export interface FailureClass {
  readonly permanent: boolean;
  /** Why, for the job's failure message: "a TypeError is a bug in code, …". */
  readonly reason: string;
}

/**
 * BeamError codes of failures that are the same on every attempt: how the pipeline was
 * built or configured, an element a coder or a grouping cannot take, a side input or
 * output tag the ParDo did not declare, an output timestamp before the allowed skew, a
 * misused splittable DoFn, a failed assertion, a mutated element. Wrappers (USER_CODE, JOB_FAILED, IO) are
 * classified by their cause.
 */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  "CONSTRUCTION",
  "OPTIONS",
  "CODER",
  "UNSUPPORTED",
  "ASSERTION",
  "NOT_A_KV",
  "UNDECLARED_SIDE_INPUT",
  "UNDECLARED_OUTPUT",
  "TIMESTAMP_SKEW",
  "SPLITTABLE_DO_FN",
  "SDF_NO_PROGRESS",
  "ILLEGAL_MUTATION",
]);

/**
 * File system answers that will not change within a job's retries: the path does not
 * exist, is of the wrong kind, or may not be read. (EMFILE, EBUSY, EAGAIN, ENOSPC and
 * network errors stay transient.)
 */
const PERMANENT_ERRNOS: ReadonlySet<string> = new Set(["ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM", "ENAMETOOLONG", "ELOOP"]);

/**
 * Errors V8 raises for bugs in code: the same code on the same element throws them again.
 * RangeError is not among them: V8 also raises it when memory runs short ("Array buffer
 * allocation failed", "Invalid string length"), which a retry after a collection may pass.
 */
const PROGRAMMING_ERRORS: readonly string[] = ["TypeError", "ReferenceError", "SyntaxError", "URIError", "EvalError"];

/** Longest cause chain followed. */
const MAX_DEPTH = 32;

/**
 * Classifies a failure by its cause chain (the error, its `cause`, and so on). An explicit
 * mark wins wherever it is in the chain (the outermost one): a PermanentError or
 * TransientError, or any error with a boolean `retryable` property. Otherwise the first
 * error of a known permanent kind decides: a BeamError code in PERMANENT_CODES, a file
 * system errno in PERMANENT_ERRNOS, or a TypeError, ReferenceError, SyntaxError, URIError
 * or EvalError without a cause (one with a cause reports that cause, as undici's
 * `TypeError: fetch failed` does, and is classified by it). Anything else is transient.
 *
 * @example
 * classifyFailure(new UserCodeError("Parse", "x", undefined, "…", { cause: new SyntaxError("bad JSON") })).permanent; // true
 * classifyFailure(new Error("socket hang up")).permanent; // false
 */
export function classifyFailure(err: unknown): FailureClass {
  const chain = causeChain(err);
  for (const e of chain) {
    const retryable = (e as { retryable?: unknown }).retryable;
    if (typeof retryable !== "boolean") continue;
    const marked = e instanceof PermanentError || e instanceof TransientError ? `it is a ${e.name}` : `it is marked retryable: ${retryable}`;
    return { permanent: !retryable, reason: marked };
  }
  for (const e of chain) {
    if (e instanceof BeamError && PERMANENT_CODES.has(e.code)) return { permanent: true, reason: `${e.name} ${e.code} is the same on every attempt` };
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && PERMANENT_ERRNOS.has(code)) {
      return { permanent: true, reason: `${code} from the file system will not change on retry` };
    }
    if (e instanceof Error && PROGRAMMING_ERRORS.includes(e.name) && e.cause === undefined) {
      return { permanent: true, reason: `a ${e.name} is a bug in code and is thrown again on every attempt` };
    }
  }
  return { permanent: false, reason: "not known to be permanent" };
}

function causeChain(err: unknown): object[] {
  const chain: object[] = [];
  for (let e: unknown = err; typeof e === "object" && e !== null && chain.length < MAX_DEPTH && !chain.includes(e); e = (e as { cause?: unknown }).cause) {
    chain.push(e);
  }
  return chain;
}

/** Exponential backoff between bundle attempts. */
export interface Backoff {
  /** Wait before the first retry, in ms. */
  readonly initialMs: number;
  /** Longest wait, in ms. */
  readonly maxMs: number;
}

/**
 * The embedded runner's backoff: 100 ms doubling per retry, at most 10 s. (FluentBackoff's
 * defaults, 1 s growing by 1.5, suit a remote service; a local bundle retry is cheap.)
 */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 10_000 };

/**
 * The wait before retry number `retry` (1 for the first): `initialMs` doubled per earlier
 * retry, capped at `maxMs`, then spread by ±50% jitter (FluentBackoff's default
 * randomization factor), so executors that failed together do not retry in lockstep.
 *
 * @example
 * backoffDelay(1); // 50..150 ms
 * backoffDelay(3); // 200..600 ms
 */
export function backoffDelay(retry: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const nominal = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, retry - 1));
  return Math.round(nominal * (0.5 + random()));
}

/**
 * What a failed bundle's error says about its attempts and why retrying stopped, to
 * append to its message.
 *
 * @example
 * attemptsNote(1, { permanent: true, reason: "a TypeError is a bug in code …" }, 2);
 * // "(failed once; permanent error, not retried: a TypeError is a bug in code …)"
 */
export function attemptsNote(attempts: number, failure: FailureClass, maxRetries: number): string {
  const times = attempts === 1 ? "once" : `${attempts} times`;
  if (failure.permanent) return `(failed ${times}; permanent error, not retried: ${failure.reason})`;
  return `(failed ${times}; transient error, retried with backoff up to --maxBundleRetries=${maxRetries})`;
}
