import type { Duration } from "./time.js";
import type { WindowFn } from "./window-fn.js";
import { globalWindows } from "./window-fns.js";
import type { BoundedWindow } from "./window.js";
import { DEFAULT_TRIGGER, describeTrigger, type Trigger } from "./trigger.js";

/**
 * How the output timestamp of a grouped pane is chosen from its inputs' timestamps
 * (Beam's TimestampCombiner). END_OF_WINDOW is Beam's default. EARLIEST_TRANSFORMED (Beam
 * Python's OUTPUT_AT_EARLIEST_TRANSFORMED) is EARLIEST over the output times the WindowFn's
 * `getTransformedOutputTime` gives each element; the Runner API has no such value, so
 * portable runners take it only when the WindowFn has no such hook (it is then EARLIEST).
 */
export type TimestampCombiner = "EARLIEST" | "LATEST" | "END_OF_WINDOW" | "EARLIEST_TRANSFORMED";

/** Whether a later pane of a window repeats the elements of earlier panes. */
export type AccumulationMode = "DISCARDING" | "ACCUMULATING";

// The trigger language lives in trigger.ts; these names stay importable from here.
export { DEFAULT_TRIGGER, type Trigger } from "./trigger.js";

/** Everything about how a PCollection is windowed and when its groups fire. */
export interface WindowingStrategy {
  readonly windowFn: WindowFn<BoundedWindow>;
  readonly trigger: Trigger;
  readonly accumulationMode: AccumulationMode;
  readonly allowedLateness: Duration;
  readonly timestampCombiner: TimestampCombiner;
}

/** The windowing of a PCollection nobody has windowed: global window, default trigger. */
export const GLOBAL_WINDOWING: WindowingStrategy = Object.freeze({
  windowFn: globalWindows(),
  trigger: DEFAULT_TRIGGER,
  accumulationMode: "DISCARDING",
  allowedLateness: 0,
  timestampCombiner: "END_OF_WINDOW",
});

/** A one-line description used in messages and in the graph fingerprint. */
export function describeWindowing(ws: WindowingStrategy): string {
  return `${ws.windowFn.toString()}/${describeTrigger(ws.trigger)}/${ws.accumulationMode}/lateness=${ws.allowedLateness}/${ws.timestampCombiner}`;
}
