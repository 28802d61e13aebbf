import type { BoundedWindow, Instant, TimestampCombiner } from "../model/index.js";

/**
 * The timestamp of a grouped pane, by Beam's TimestampCombiner rules: END_OF_WINDOW is the
 * window's max timestamp; EARLIEST/LATEST are the extremes of the inputs' timestamps,
 * never past the end of the window.
 */
export function outputTimestamp(
  combiner: TimestampCombiner,
  window: BoundedWindow,
  minInput: Instant,
  maxInput: Instant,
): Instant {
  const end = window.maxTimestamp();
  switch (combiner) {
    case "END_OF_WINDOW":
      return end;
    case "EARLIEST":
      return Math.min(minInput, end);
    case "LATEST":
      return Math.min(maxInput, end);
  }
}
