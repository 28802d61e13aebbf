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
   * The coder of W. Built-in window types (global, interval) are known to the coder
   * registry; custom window types must supply one.
   */
  readonly windowCoder?: Coder<W>;
  /** A description for messages and the graph fingerprint, e.g. `FixedWindows(60000ms)`. */
  toString(): string;
}
