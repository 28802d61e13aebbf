import { ConstructionError } from "./errors.js";
import type { Duration, Instant } from "./time.js";
import { GLOBAL_WINDOW, IntervalWindow, type BoundedWindow, type GlobalWindow } from "./window.js";
import type { AssignContext, WindowFn, WindowMerge } from "./window-fn.js";

/** URNs of Beam's standard WindowFns. */
export const WindowFnUrns = {
  global: "beam:window_fn:global_windows:v1",
  fixed: "beam:window_fn:fixed_windows:v1",
  sliding: "beam:window_fn:sliding_windows:v1",
  sessions: "beam:window_fn:session_windows:v1",
} as const;

const GLOBAL: readonly GlobalWindow[] = Object.freeze([GLOBAL_WINDOW]);

/** Every element in the single global window. The default windowing. */
export function globalWindows(): WindowFn<GlobalWindow> {
  return {
    urn: WindowFnUrns.global,
    isMerging: false,
    assignWindows: () => GLOBAL,
    getSideInputWindow: () => GLOBAL_WINDOW,
    toString: () => "GlobalWindows",
  };
}

function positiveDuration(what: string, d: Duration): void {
  if (!Number.isFinite(d) || d <= 0) {
    throw new ConstructionError(`${what} must be a positive number of milliseconds, got ${d}.`);
  }
}

/** Floors `t` to a multiple of `size` shifted by `offset`, correct for negative t. */
function windowStart(t: Instant, size: Duration, offset: Duration): Instant {
  const rem = (((t - offset) % size) + size) % size;
  return t - rem;
}

/**
 * Fixed (tumbling) windows of `size` ms: [offset + k*size, offset + (k+1)*size).
 *
 * @example pcoll.apply(windowInto(fixedWindows(Durations.minutes(1))))
 */
export function fixedWindows(size: Duration, offset: Duration = 0): WindowFn<IntervalWindow> {
  positiveDuration("fixedWindows size", size);
  const off = ((offset % size) + size) % size;
  // Consecutive elements mostly fall in the same window: reuse its (immutable) list, so
  // grouping sees one window object and computes its id once.
  let last: readonly IntervalWindow[] = [];
  let lastStart = Infinity;
  // Likewise a side input's window: main windows repeat, and a new side window would
  // compute its id again for every element.
  let lastMain: BoundedWindow | undefined;
  let lastSide: IntervalWindow | undefined;
  const fn: WindowFn<IntervalWindow> = {
    urn: WindowFnUrns.fixed,
    isMerging: false,
    assignWindows({ timestamp }: AssignContext) {
      if (timestamp >= lastStart && timestamp < lastStart + size) return last;
      const start = windowStart(timestamp, size, off);
      lastStart = start;
      last = Object.freeze([new IntervalWindow(start, start + size)]);
      return last;
    },
    getSideInputWindow(main: BoundedWindow) {
      if (main === lastMain) return lastSide!;
      // Beam maps a main window to the side window that holds its last timestamp.
      const start = windowStart(main.maxTimestamp(), size, off);
      lastMain = main;
      return (lastSide = new IntervalWindow(start, start + size));
    },
    toString: () => `FixedWindows(${size}ms${off ? `, offset ${off}ms` : ""})`,
  };
  return Object.assign(fn, { size, offset: off });
}

/**
 * Sliding windows of `size` ms starting every `period` ms; an element is in
 * ceil(size/period) windows. Windows are returned newest first, as Beam does.
 */
export function slidingWindows(size: Duration, period: Duration, offset: Duration = 0): WindowFn<IntervalWindow> {
  positiveDuration("slidingWindows size", size);
  positiveDuration("slidingWindows period", period);
  const off = ((offset % period) + period) % period;
  const fn: WindowFn<IntervalWindow> = {
    urn: WindowFnUrns.sliding,
    isMerging: false,
    assignWindows({ timestamp }: AssignContext) {
      const windows: IntervalWindow[] = [];
      const lastStart = windowStart(timestamp, period, off);
      for (let start = lastStart; start > timestamp - size; start -= period) {
        windows.push(new IntervalWindow(start, start + size));
      }
      return windows;
    },
    getSideInputWindow(main: BoundedWindow) {
      // The latest side window that contains the main window's last timestamp.
      const start = windowStart(main.maxTimestamp(), period, off);
      return new IntervalWindow(start, start + size);
    },
    toString: () => `SlidingWindows(size ${size}ms, period ${period}ms${off ? `, offset ${off}ms` : ""})`,
  };
  return Object.assign(fn, { size, period, offset: off });
}

/**
 * Session windows: each element starts a window [t, t + gap); windows of one key that
 * overlap merge. Sessions therefore close after `gap` ms without activity.
 */
export function sessions(gap: Duration): WindowFn<IntervalWindow> {
  positiveDuration("sessions gap", gap);
  return Object.assign(
    {
      urn: WindowFnUrns.sessions,
      isMerging: true,
      assignWindows: ({ timestamp }: AssignContext) => [new IntervalWindow(timestamp, timestamp + gap)],
      mergeWindows: mergeOverlappingIntervals,
      toString: () => `Sessions(gap ${gap}ms)`,
    } satisfies WindowFn<IntervalWindow>,
    { gap },
  );
}

/**
 * Merges interval windows that overlap, as Beam's MergeOverlappingIntervalWindows does:
 * sort by start, then sweep, growing the current union while the next window intersects it.
 */
export function mergeOverlappingIntervals(windows: readonly IntervalWindow[]): WindowMerge<IntervalWindow>[] {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const merges: WindowMerge<IntervalWindow>[] = [];
  let group: IntervalWindow[] = [];
  let union: IntervalWindow | undefined;
  const close = () => {
    if (union !== undefined && group.length > 1) merges.push({ from: group, result: union });
  };
  for (const w of sorted) {
    if (union !== undefined && union.intersects(w)) {
      group.push(w);
      union = union.span(w);
    } else {
      close();
      group = [w];
      union = w;
    }
  }
  close();
  return merges;
}
