import type { BoundedWindow, Instant, PaneTiming } from "../../model/index.js";

/**
 * The timing of the next pane of a window, by Beam's PaneInfoTracker rules:
 * - LATE once an ON_TIME or LATE pane has fired, or when the step's output watermark is
 *   already past the window (no downstream step could see the pane as on time);
 * - EARLY while the input watermark has not passed the end of the window;
 * - otherwise ON_TIME (the first pane after the watermark passes the end of the window).
 */
export function paneTiming(
  window: BoundedWindow,
  previous: PaneTiming | undefined,
  inputWatermark: Instant,
  outputWatermark: Instant,
): PaneTiming {
  const maxTs = window.maxTimestamp();
  const lateForOutput = outputWatermark > maxTs;
  const onlyEarlySoFar = previous === undefined || previous === "EARLY";
  if (lateForOutput || !onlyEarlySoFar) return "LATE";
  if (inputWatermark <= maxTs) return "EARLY";
  return "ON_TIME";
}

/**
 * When a window's state is garbage-collected: the end of the window plus the allowed
 * lateness, but never past the end of the global window (Beam's LateDataUtils).
 */
export function garbageCollectionTime(window: BoundedWindow, allowedLateness: number, globalMax: Instant): Instant {
  const maxTs = window.maxTimestamp();
  return maxTs < globalMax - allowedLateness ? maxTs + allowedLateness : globalMax;
}
