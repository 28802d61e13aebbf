/**
 * How a failure reads when it is printed: its message, then the chain of causes
 * ("caused by: …"), once, without stack frames; in verbose mode every error of the chain
 * with its stack, as Java prints "Caused by:" sections.
 *
 * Node prints an uncaught error with `util.inspect(err, { customInspect: false })` (Node
 * 20, 22 and 24: `[util.inspect.custom]` is ignored there), which shows `err.stack`, then
 * every own enumerable property and the whole `cause` chain with its stack frames. Without
 * installing a process handler, the only levers are the error's own properties:
 * {@link printsAsReport} makes `stack` the report, `cause` an accessor (shown as
 * `[cause]: [Getter]` instead of a dump) and `code` non-enumerable.
 */
// A cycle with errors.ts (JobFailedError calls printsAsReport): both use the other only
// inside functions, never while the modules load.
import { BeamError } from "./errors.js";

/** Options of {@link formatFailure}. */
export interface FailureReportOptions {
  /** Every error of the chain with its stack frames (default: messages only). */
  readonly verbose?: boolean;
}

/** The stacks V8 captured for errors whose `stack` now renders their report. */
const rawStacks = new WeakMap<object, string | undefined>();

/** Longest chain followed: a cause chain is short unless something loops. */
const MAX_CAUSES = 32;

/**
 * Renders an error and its causes for a terminal.
 *
 * A cause that is a BeamError whose message the error above already
 * shows in full is left out: the runner's wrappers repeat their cause's message (a
 * JobFailedError's "Pipeline failed: Transform … failed …"). Other causes (the exception
 * user code threw, and what it wraps) are always shown.
 *
 * @example
 * try { await pipeline.run().waitUntilFinish(); }
 * catch (err) { process.stderr.write(`${formatFailure(err)}\n`); process.exitCode = 1; }
 * // JobFailedError: Pipeline failed: Transform "Parse" failed while processing element "x": SyntaxError: …
 * //   caused by: SyntaxError: Unexpected token 'x', "x" is not valid JSON
 */
export function formatFailure(err: unknown, options: FailureReportOptions = {}): string {
  const chain = causeChain(err);
  if (options.verbose === true) {
    return chain.map((e, i) => (i === 0 ? stackOf(e) : `caused by: ${stackOf(e)}`)).join("\n");
  }
  const lines = [headline(chain[0])];
  for (let i = 1; i < chain.length; i++) {
    const e = chain[i];
    if (e instanceof BeamError && messageOf(chain[i - 1]).includes(messageOf(e))) continue;
    lines.push(`  caused by: ${headline(e).replaceAll("\n", "\n    ")}`);
  }
  return lines.join("\n");
}

/**
 * Whether failures print with stack frames: a `verbose` pipeline option set to true (not
 * a standard option, which would forbid programs their own `--verbose`: a program that
 * defines one gets this meaning too), or the environment variable BEAM_TS_VERBOSE set to
 * anything but "", "0" or "false".
 *
 * @example
 * const verbose = verboseFailures(pipeline.options); // --verbose, or BEAM_TS_VERBOSE=1
 */
export function verboseFailures(options: Readonly<Record<string, unknown>> = {}): boolean {
  if (options["verbose"] === true) return true;
  const env = globalThis.process?.env?.["BEAM_TS_VERBOSE"];
  return env !== undefined && env !== "" && env !== "0" && env.toLowerCase() !== "false";
}

/**
 * Makes an error print as its {@link formatFailure} report wherever Node or a test
 * runner shows it: `stack` becomes the report (frames with `verbose` or BEAM_TS_VERBOSE,
 * read when printed), `cause` an accessor, `code` non-enumerable, and
 * `[util.inspect.custom]` the report for console.log. The error's fields keep their values.
 *
 * @example
 * class JobFailedError extends BeamError {
 *   constructor(message: string, options?: { cause?: unknown }) { super("JOB_FAILED", message, options); printsAsReport(this); }
 * }
 */
export function printsAsReport(err: Error, verbose = false): void {
  rawStacks.set(err, err.stack);
  let assigned: string | undefined;
  Object.defineProperty(err, "stack", {
    configurable: true,
    enumerable: false,
    get: () => assigned ?? formatFailure(err, { verbose: verbose || verboseFailures() }),
    // Tools (test runners, source-map support) rewrite stacks: keep what they set.
    set: (value: string) => {
      assigned = value;
    },
  });
  if (Object.prototype.hasOwnProperty.call(err, "cause")) {
    const cause: unknown = (err as { cause?: unknown }).cause;
    Object.defineProperty(err, "cause", { configurable: true, enumerable: false, get: () => cause });
  }
  const code = Object.getOwnPropertyDescriptor(err, "code");
  if (code !== undefined) Object.defineProperty(err, "code", { ...code, enumerable: false });
  Object.defineProperty(err, Symbol.for("nodejs.util.inspect.custom"), {
    configurable: true,
    enumerable: false,
    value: () => err.stack,
  });
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; chain.length < MAX_CAUSES && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    chain.push(e);
    if (typeof e !== "object" || e === null || !("cause" in e) || (e as { cause?: unknown }).cause === undefined) break;
  }
  return chain;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function headline(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** The error's stack as V8 captured it, or its headline when it has none. */
function stackOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const stack = rawStacks.has(e) ? rawStacks.get(e) : e.stack;
  return typeof stack === "string" && stack.includes(e.message) ? stack : `${headline(e)}${stack ? `\n${stack}` : ""}`;
}
