import type { BoundedWindow, Instant } from "../../model/index.js";
import { NO_FIRING } from "../../model/index.js";
import type { PCollectionView, TimeDomain } from "../../transforms/index.js";
import type { DoFnOperation } from "../do-fn-operation.js";

/** A timer being fired, as the context of its `onTimer` call needs it. */
export interface FiringTimer {
  readonly key: unknown;
  readonly window: BoundedWindow;
  readonly fireTimestamp: Instant;
  /** The timer's output timestamp: what its outputs are stamped with, and their earliest allowed time. */
  readonly outputTimestamp: Instant;
  readonly domain: TimeDomain;
  /** The dynamic tag of a timer-family timer; the timer's name otherwise. */
  readonly timerId: string;
}

/**
 * The context of an `onTimer` call (Beam's OnTimerContext): the key, window and times of
 * the timer, the state and timers of its key and window, the main and tagged outputs in the
 * timer's window at its output timestamp, and the window's side inputs. Shared by the
 * embedded runner and the harness.
 */
export function onTimerContext(t: FiringTimer, bound: { readonly state: unknown; readonly timers: unknown }, op: DoFnOperation): object {
  const at = t.outputTimestamp;
  const windows = [t.window];
  return {
    key: t.key,
    window: t.window,
    fireTimestamp: t.fireTimestamp,
    timestamp: at,
    timeDomain: t.domain,
    timerId: t.timerId,
    state: bound.state,
    timers: bound.timers,
    output: (value: unknown) => op.emit(undefined, value, at, windows, NO_FIRING),
    outputWithTimestamp: (value: unknown, timestamp: Instant) => {
      if (timestamp < at - op.allowedSkew) op.skewError(timestamp, at);
      op.emit(undefined, value, timestamp, windows, NO_FIRING);
    },
    outputTo: (tag: string, value: unknown) => op.emit(tag, value, at, windows, NO_FIRING),
    sideInput: (view: PCollectionView<unknown>) => op.readSide(view, t.window),
    metrics: op.metrics,
  };
}
