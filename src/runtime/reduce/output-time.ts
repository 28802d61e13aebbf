import type { BoundedWindow, Instant, WindowFn } from "../../model/index.js";
import { UserCodeError, formatInstant } from "../../model/index.js";

/**
 * The output time of an element at `timestamp` in `window` under the EARLIEST_TRANSFORMED
 * timestamp combiner: `fn.getTransformedOutputTime(window, timestamp)`, or the timestamp
 * itself when `fn` has no such hook. Throws a UserCodeError (naming the WindowFn) when the
 * hook breaks its contract, as Beam Java's WatermarkHold.shift did: a result that is not a
 * number, is earlier than the element's timestamp, or is after the window's max timestamp
 * (for an element inside its window).
 */
export function transformedOutputTime<W extends BoundedWindow>(fn: WindowFn<W>, window: W, timestamp: Instant): Instant {
  const hook = fn.getTransformedOutputTime;
  if (hook === undefined) return timestamp;
  const name = `${fn.toString()}.getTransformedOutputTime`;
  let shifted: unknown;
  try {
    shifted = hook.call(fn, window, timestamp);
  } catch (err) {
    throw new UserCodeError(name, undefined, String(window), `${name} failed for timestamp ${formatInstant(timestamp)} in window ${String(window)}: ${String(err)}`, {
      cause: err,
    });
  }
  const max = window.maxTimestamp();
  const broken =
    typeof shifted !== "number" || Number.isNaN(shifted)
      ? "which is not a timestamp"
      : shifted < timestamp
        ? "earlier than the element's timestamp"
        : shifted > max && timestamp <= max
          ? `after the window's max timestamp ${formatInstant(max)}`
          : undefined;
  if (broken === undefined) return shifted as Instant;
  const shown = typeof shifted === "number" && !Number.isNaN(shifted) ? formatInstant(shifted) : String(shifted);
  throw new UserCodeError(
    name,
    undefined,
    String(window),
    `${name} returned ${shown} for timestamp ${formatInstant(timestamp)} ` +
      `in window ${String(window)}, ${broken}; it must return a time between the element's timestamp and window.maxTimestamp(), both included.`,
  );
}
