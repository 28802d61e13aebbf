import { NO_FIRING, type PaneInfo } from "./pane.js";
import type { Instant } from "./time.js";
import { GLOBAL_WINDOW, type BoundedWindow } from "./window.js";
import { MIN_TIMESTAMP } from "./time.js";

/**
 * An element as runners see it: the value with its event timestamp, the windows it is in
 * and the pane that produced it. Inside a fused stage these stay JS objects; they become
 * bytes (windowed_value coder) only at boundaries.
 */
export interface WindowedValue<T> {
  readonly value: T;
  readonly timestamp: Instant;
  readonly windows: readonly BoundedWindow[];
  readonly pane: PaneInfo;
}

const GLOBAL_WINDOWS: readonly BoundedWindow[] = Object.freeze([GLOBAL_WINDOW]);

/** A value in the global window at the minimum timestamp, as Impulse and Create emit. */
export function inGlobalWindow<T>(value: T, timestamp: Instant = MIN_TIMESTAMP): WindowedValue<T> {
  return { value, timestamp, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
}

/** Returns a windowed value with the same metadata and a new value. */
export function withValue<T, U>(wv: WindowedValue<T>, value: U): WindowedValue<U> {
  return { value, timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane };
}
