/** When a pane fired relative to the watermark, as in Beam's PaneInfo.Timing. */
export type PaneTiming = "EARLY" | "ON_TIME" | "LATE" | "UNKNOWN";

/**
 * Describes which firing of a window produced an element: Beam's PaneInfo.
 * `index` counts every firing of the window; `nonSpeculativeIndex` counts only
 * ON_TIME and LATE firings (-1 for early panes).
 */
export interface PaneInfo {
  readonly isFirst: boolean;
  readonly isLast: boolean;
  readonly timing: PaneTiming;
  readonly index: number;
  readonly nonSpeculativeIndex: number;
}

/** The pane of an element that was never produced by a trigger firing. */
export const NO_FIRING: PaneInfo = Object.freeze({
  isFirst: true,
  isLast: true,
  timing: "UNKNOWN",
  index: 0,
  nonSpeculativeIndex: 0,
});

/** The only pane of a window under the default trigger in batch. */
export const ON_TIME_AND_ONLY_FIRING: PaneInfo = Object.freeze({
  isFirst: true,
  isLast: true,
  timing: "ON_TIME",
  index: 0,
  nonSpeculativeIndex: 0,
});

/** Builds a PaneInfo, reusing the shared constants for the common cases. */
export function paneInfo(
  isFirst: boolean,
  isLast: boolean,
  timing: PaneTiming,
  index: number,
  nonSpeculativeIndex: number,
): PaneInfo {
  if (isFirst && isLast && index === 0 && nonSpeculativeIndex === 0) {
    if (timing === "UNKNOWN") return NO_FIRING;
    if (timing === "ON_TIME") return ON_TIME_AND_ONLY_FIRING;
  }
  return { isFirst, isLast, timing, index, nonSpeculativeIndex };
}
