import type { Coder } from "./coder.js";
import type { PaneInfo } from "./pane.js";
import type { Instant } from "./time.js";
import type { BoundedWindow } from "./window.js";

/** What a WindowFn sees when it assigns windows to one element. */
export interface AssignContext<T = unknown> {
  readonly element: T;
  readonly timestamp: Instant;
  /** The windows the element was in before re-windowing. */
  readonly windows: readonly BoundedWindow[];
  readonly pane: PaneInfo;
}

/** One merge decided by a merging WindowFn: `from` windows become `result`. */
export interface WindowMerge<W extends BoundedWindow> {
  readonly from: readonly W[];
  readonly result: W;
}

/**
 * Assigns elements to windows, and (for merging WindowFns such as sessions) merges
 * windows. Implement it for custom windowing; the built-ins are in window-fns.ts.
 *
 * @example
 * const everyTenSeconds: WindowFn<IntervalWindow> = {
 *   urn: "beam-ts:window_fn:my_tens:v1",
 *   isMerging: false,
 *   assignWindows: ({ timestamp }) => {
 *     const start = timestamp - (timestamp % 10_000);
 *     return [new IntervalWindow(start, start + 10_000)];
 *   },
 * };
 */
export interface WindowFn<W extends BoundedWindow = BoundedWindow> {
  /** Beam's URN for the standard WindowFns; any unique string for user ones. */
  readonly urn: string;
  /** True when windows may merge (sessions); mergeWindows is then required. */
  readonly isMerging: boolean;
  assignWindows(ctx: AssignContext): readonly W[];
  /**
   * Given the windows currently active for one key, returns the merges to apply.
   * Windows not mentioned stay as they are.
   */
  mergeWindows?(windows: readonly W[]): readonly WindowMerge<W>[];
  /**
   * The side-input window that corresponds to a main-input window (Beam's
   * WindowMappingFn). Required for a WindowFn used on a side input unless it is global.
   */
  getSideInputWindow?(mainWindow: BoundedWindow): W;
  /**
   * The output time of an element with timestamp `inputTimestamp` in `window`, used only by
   * the EARLIEST_TRANSFORMED timestamp combiner: a grouped pane is stamped with (and holds the
   * watermark at) the earliest of these over its elements. Without it the output time is the
   * element's timestamp, so EARLIEST_TRANSFORMED is EARLIEST. Beam Python's
   * `WindowFn.get_transformed_output_time`; Beam Java had it as `WindowFn.getOutputTime`
   * until BEAM-12011 removed it in 2021, with the contract kept here: the result lies between
   * `inputTimestamp` and `window.maxTimestamp()` (both included), and does not decrease as
   * `inputTimestamp` grows. Overlapping windows can move a later window's output times past
   * the end of the earlier windows, so that its pane does not hold the watermark back from
   * passing them downstream. For a merging WindowFn, `window` is the element's own window,
   * before merging.
   *
   * @example
   * // Sliding windows whose later windows do not hold back the earlier ones (Java's old
   * // SlidingWindows.getOutputTime).
   * const sliding = slidingWindows(60_000, 10_000);
   * const shifted: WindowFn<IntervalWindow> = {
   *   ...sliding,
   *   urn: "beam-ts:window_fn:shifted_sliding:v1",
   *   getTransformedOutputTime: (w, t) => Math.max(t, w.maxTimestamp() - 10_000 + 1),
   * };
   */
  getTransformedOutputTime?(window: W, inputTimestamp: Instant): Instant;
  /**
   * The coder of W. Built-in window types (global, interval) are known to the coder
   * registry; custom window types must supply one.
   */
  readonly windowCoder?: Coder<W>;
  /** A description for messages and the graph fingerprint, e.g. `FixedWindows(60000ms)`. */
  toString(): string;
}

