import type { Instant } from "../../model/index.js";
import type { FinishBundleContext, ProcessContext, StartBundleContext } from "../do-fn.js";
import type { OffsetRange } from "./offset-range.js";
import type { ProcessContinuation } from "./process-continuation.js";
import type { RestrictionTracker } from "./restriction-tracker.js";
import type { WatermarkEstimator } from "./watermark-estimators.js";

/**
 * What a splittable `process` call can see and do: a DoFn's ProcessContext plus the
 * tracker of its restriction and its watermark estimator. A source acknowledges what it
 * read with `ctx.bundleFinalizer.afterBundleCommit` (see BundleFinalizer).
 */
export interface SplittableProcessContext<Out, R, P> extends ProcessContext<Out> {
  /** Claim each block of work here before doing it; stop as soon as a claim fails. */
  readonly tracker: RestrictionTracker<R, P>;
  /** The estimator made by `newWatermarkEstimator` (or the runner's default). */
  readonly watermarkEstimator: WatermarkEstimator<unknown>;
  /**
   * The runner's processing time (beam-ts extension). Sources should read the time here
   * rather than from Date.now(), so a TestStream's clock drives them in tests.
   */
  readonly processingTime: Instant;
}

/**
 * Beam's splittable DoFn: `process` works through a *restriction* (a description of the
 * work for one element, e.g. an OffsetRange of a file) by claiming positions from a
 * RestrictionTracker, so the runner can split the remaining work off to run elsewhere
 * (dynamic splitting) or checkpoint it to resume later (unbounded sources).
 *
 * For each element the runner calls `getInitialRestriction`, then `splitRestriction`
 * (initial splitting, sized with `getSize`), then for each piece `newTracker` and
 * `process`. The lifecycle methods are those of a DoFn. On drain, `truncateRestriction`
 * shrinks a restriction to what must still be done; returning `undefined` drops it (Beam's
 * default keeps a bounded restriction and drops an unbounded one).
 *
 * @example
 * const readLines: SplittableDoFn<string, string, OffsetRange> = {
 *   getInitialRestriction: (file) => new OffsetRange(0, lineCount(file)),
 *   splitRestriction: (_file, range) => splitOffsetRange(range, 4),
 *   getSize: (_file, range) => offsetRangeSize(range),
 *   newTracker: (_file, range) => new OffsetRangeTracker(range),
 *   process(file, ctx) {
 *     for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) {
 *       ctx.output(readLine(file, i));
 *     }
 *   },
 * };
 */
export interface SplittableDoFn<In, Out, R, P = number> {
  setup?(): void | Promise<void>;
  startBundle?(ctx: StartBundleContext): void | Promise<void>;
  finishBundle?(ctx: FinishBundleContext<Out>): void | Promise<void>;
  teardown?(): void | Promise<void>;
  /** The whole work for `element` (Beam's `@GetInitialRestriction`). */
  getInitialRestriction(element: In): R;
  /** Initial split into roughly `desiredChunks` pieces (Beam's `@SplitRestriction`); default: none. */
  splitRestriction?(element: In, restriction: R, desiredChunks: number): Iterable<R>;
  /** Amount of work in `restriction`, in the unit of the tracker's progress (Beam's `@GetSize`). */
  getSize?(element: In, restriction: R): number;
  /** A fresh tracker over `restriction` (Beam's `@NewTracker`). */
  newTracker(element: In, restriction: R): RestrictionTracker<R, P>;
  /** Estimator state for a new restriction (Beam's `@GetInitialWatermarkEstimatorState`). */
  getInitialWatermarkState?(element: In, restriction: R): unknown;
  /** An estimator from stored state (Beam's `@NewWatermarkEstimator`). */
  newWatermarkEstimator?(state: unknown): WatermarkEstimator<unknown>;
  /** What must still be done on drain; `undefined` drops the restriction (Beam's `@TruncateRestriction`). */
  truncateRestriction?(element: In, restriction: R): R | undefined;
  /** Processes `element` over the tracker's restriction (Beam's `@ProcessElement`). */
  process(
    element: In,
    ctx: SplittableProcessContext<Out, R, P>,
  ): ProcessContinuation | void | Promise<ProcessContinuation | void>;
}

/** Whether `fn` has the methods every splittable DoFn must have. */
export function isSplittableDoFn(fn: unknown): fn is SplittableDoFn<unknown, unknown, unknown, unknown> {
  if (typeof fn !== "object" || fn === null) return false;
  const candidate = fn as Record<string, unknown>;
  return (
    typeof candidate.getInitialRestriction === "function" &&
    typeof candidate.newTracker === "function" &&
    typeof candidate.process === "function"
  );
}

/**
 * A `splitRestriction` for OffsetRanges: about `desiredChunks` consecutive pieces of equal
 * size (via `OffsetRange.split`, so the last piece absorbs a small tail). An empty range
 * gives no pieces; `desiredChunks <= 1` keeps the range whole.
 */
export function splitOffsetRange(range: OffsetRange, desiredChunks: number): OffsetRange[] {
  if (range.isEmpty) return [];
  if (!(desiredChunks > 1)) return [range];
  return range.split(Math.max(1, Math.ceil(range.size / Math.floor(desiredChunks))), 1);
}

/**
 * A `getSize` for OffsetRanges: the number of offsets, which is what Beam's default
 * `@GetSize` reports (the work remaining of a fresh OffsetRangeTracker).
 */
export function offsetRangeSize(range: OffsetRange): number {
  return range.size;
}
