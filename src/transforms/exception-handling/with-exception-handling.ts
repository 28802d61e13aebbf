import type { BoundedWindow, WindowFn } from "../../model/index.js";
import { BeamError, ConstructionError } from "../../model/index.js";
import { PTransform, ptransform, type PCollection, type PValue } from "../../pipeline/index.js";
import { combineGlobally } from "../combine.js";
import { count } from "../combiners/index.js";
import type { DoFn, OutputTags } from "../do-fn.js";
import { parDo, ParDo, type ParDoOptions } from "../par-do.js";
import { timedDoFn } from "../element-timeout.js";
import { asSingleton, type PCollectionView } from "../side-input-view.js";
import { windowInto } from "../window-into.js";
import type { BadRecord } from "./bad-record.js";
import type { ErrorHandler } from "./error-handler.js";
import { ExceptionHandlingDoFn, FAILURES_TAG, type ErrorFilter, type FailureSettings } from "./exception-handling-do-fn.js";

/** A class of errors, for `catch`: `[SyntaxError, MyValidationError]`. */
export type ErrorClass = abstract new (...args: never[]) => unknown;

/** Options of `withExceptionHandling`. */
export interface ExceptionHandlingOptions {
  /**
   * Which errors go to the failures output: error classes (matched with instanceof) or a
   * predicate. Default: every error `process` throws, except errors that say the pipeline
   * itself is wrong (construction, options, unsupported feature), which fail the job.
   */
  readonly catch?: readonly ErrorClass[] | ErrorFilter;
  /** Fail the job when more than this many elements of one window fail (default: no limit). */
  readonly maxFailures?: number;
  /**
   * Fail the job when more than this fraction (0 to 1) of one window's elements fail, as
   * Beam Python's `threshold` (default 1: no limit).
   */
  readonly maxFailureRatio?: number;
  /** The windows the limits count in (Python's `threshold_windowing`); default: the input's. */
  readonly thresholdWindowing?: WindowFn<BoundedWindow>;
  /**
   * Send failures to this pipeline-level handler (see `badRecordErrorHandler`) instead of
   * returning them: the transform then returns its usual output.
   */
  readonly errorHandler?: ErrorHandler;
}

/** What a ParDo outputs: one PCollection, or tagged outputs (`{ main, ...tags }`). */
export type ParDoOutput = PCollection<unknown> | { readonly [tag: string]: PCollection<unknown> };

/**
 * A transform's output with its failures (the dead-letter output): `{ output, failures }`
 * for a single output, the tagged outputs plus `failures` for a ParDo with tagged outputs.
 */
export type WithFailures<Out extends ParDoOutput> = Out extends PCollection<unknown>
  ? { readonly output: Out; readonly failures: PCollection<BadRecord> }
  : Out & { readonly failures: PCollection<BadRecord> };

/** The error a job fails with when a dead-letter threshold is exceeded. It is not retried. */
export class DeadLetterThresholdError extends BeamError {
  constructor(message: string) {
    super("DEAD_LETTER_THRESHOLD", message);
    this.name = "DeadLetterThresholdError";
  }
}

function errorFilter(c: ExceptionHandlingOptions["catch"]): ErrorFilter {
  if (c === undefined) return () => true;
  if (typeof c === "function") return c;
  const classes = [...c];
  return (error) => classes.some((k) => error instanceof (k as new () => unknown));
}

function checkLimits(options: ExceptionHandlingOptions): void {
  const { maxFailures, maxFailureRatio } = options;
  if (maxFailures !== undefined && !(Number.isInteger(maxFailures) && maxFailures >= 0)) {
    throw new ConstructionError(`withExceptionHandling: maxFailures must be an integer >= 0, got ${maxFailures}.`);
  }
  if (maxFailureRatio !== undefined && !(maxFailureRatio >= 0 && maxFailureRatio <= 1)) {
    throw new ConstructionError(`withExceptionHandling: maxFailureRatio must be between 0 and 1, got ${maxFailureRatio}.`);
  }
}

/**
 * A ParDo whose failing elements go to a failures output (Beam Python's
 * `ParDo.with_exception_handling`, Java's bad-record handling): a composite named like the
 * ParDo, holding the ParDo (named after its DoFn, as Python's inner `ParDo(...)`) and, when
 * a limit is set, the steps that count failures per window and fail the job past it.
 */
export class WithExceptionHandling<In> extends PTransform<PCollection<In>, PValue> {
  constructor(
    name: string,
    private readonly innerName: string,
    private readonly doFn: DoFn<In, unknown, OutputTags>,
    private readonly parDoOptions: ParDoOptions & { readonly outputs?: readonly string[] },
    private readonly options: ExceptionHandlingOptions,
  ) {
    super(name);
    checkLimits(options);
    if (parDoOptions.outputs?.includes(FAILURES_TAG) === true) {
      throw new ConstructionError(
        `withExceptionHandling adds an output tagged "${FAILURES_TAG}"; rename the DoFn's own "${FAILURES_TAG}" output.`,
      );
    }
  }

  expand(input: PCollection<In>): PValue {
    const settings: { -readonly [K in keyof FailureSettings]: FailureSettings[K] } = {
      step: "",
      inputCoder: input.coder as never,
      accepts: errorFilter(this.options.catch),
    };
    // A timeout fails the user's call inside the wrapper, so a timed-out element is a dead letter.
    const { timeout, ...parDoOptions } = this.parDoOptions;
    const wrapper = new ExceptionHandlingDoFn(timedDoFn(this.doFn as DoFn<unknown, unknown, OutputTags>, timeout, settings), settings);
    const tags = this.parDoOptions.outputs;
    const inner = ptransform(this.innerName, (pc: PCollection<In>) => {
      // The failing step is the inner ParDo; its label is known only now.
      settings.step = pc.pipeline.currentLabel();
      const all = new ParDo<In, unknown>(wrapper as DoFn<In, unknown, OutputTags>, { ...parDoOptions, outputs: [...(tags ?? []), FAILURES_TAG] }, this.innerName);
      return all.expand(pc) as Record<string, PCollection<unknown>>;
    });
    const result = input.apply(inner);
    const failures = result[FAILURES_TAG] as PCollection<BadRecord>;
    this.applyLimits(input, failures);
    const handler = this.options.errorHandler;
    if (handler !== undefined) handler.add(failures);
    if (tags === undefined) {
      const output = result["main"]!;
      return handler !== undefined ? output : { output, failures };
    }
    if (handler === undefined) return result;
    const rest: Record<string, PCollection<unknown>> = {};
    for (const [tag, pc] of Object.entries(result)) if (tag !== FAILURES_TAG) rest[tag] = pc;
    return rest;
  }

  /** Python's threshold: count the input and the failures per window, fail past the limit. */
  private applyLimits(input: PCollection<In>, failures: PCollection<BadRecord>): void {
    const { maxFailures, maxFailureRatio, thresholdWindowing } = this.options;
    const ratio = maxFailureRatio !== undefined && maxFailureRatio < 1 ? maxFailureRatio : undefined;
    if (maxFailures === undefined && ratio === undefined) return;
    const windowed = <T>(pc: PCollection<T>, name: string): PCollection<T> =>
      thresholdWindowing === undefined ? pc : pc.apply(name, windowInto<T, BoundedWindow>(thresholdWindowing));
    const failed = windowed(failures, "WindowFailures").apply("CountFailures", combineGlobally(count(), { withoutDefaults: true }));
    let total: PCollectionView<number> | undefined;
    if (ratio !== undefined) {
      const counted = windowed(input, "WindowInput").apply("CountInput", combineGlobally(count(), { withoutDefaults: true }));
      total = asSingleton(counted, { defaultValue: 0 });
    }
    const step = `${input.pipeline.currentLabel()}/${this.innerName}`;
    failed.apply(
      "CheckFailures",
      parDo<number, never>(
        {
          process(bad, ctx) {
            const where = `in window ${ctx.window.toString()}`;
            if (maxFailures !== undefined && bad > maxFailures) {
              throw new DeadLetterThresholdError(
                `${bad} elements failed in "${step}" ${where}, more than maxFailures (${maxFailures}). ` +
                  `See its failures output for what failed; raise maxFailures to accept more.`,
              );
            }
            if (total !== undefined) {
              const all = ctx.sideInput(total);
              if (bad > all * ratio!) {
                throw new DeadLetterThresholdError(
                  `${bad} of ${all} elements failed in "${step}" ${where}: ${(bad / all).toFixed(4)}, more than ` +
                    `maxFailureRatio (${ratio}). See its failures output for what failed; raise maxFailureRatio to accept more.`,
                );
              }
            }
          },
        },
        total === undefined ? {} : { sideInputs: [total as PCollectionView<unknown>] },
      ),
    );
  }
}
