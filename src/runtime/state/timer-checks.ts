import type { BoundedWindow, Instant } from "../../model/index.js";
import { formatInstant } from "../../model/index.js";

/** What a DoFn asked of a timer, and the context Beam checks it against. */
export interface TimerRequest {
  readonly tag: string;
  readonly domain: "EVENT_TIME" | "PROCESSING_TIME";
  readonly window: BoundedWindow;
  /** When the window's state is garbage-collected: its max timestamp plus allowed lateness. */
  readonly expiry: Instant;
  readonly fireTimestamp: Instant;
  readonly outputTimestamp: Instant | undefined;
  /** The timestamp of the element or timer being processed. */
  readonly current: Instant;
}

/**
 * The output timestamp (watermark hold) of a timer being set, after Beam's checks
 * (FnApiDoFnRunner / SimpleDoFnRunner): an event-time timer may not fire after its window
 * expires nor output after its firing time, and no timer may output before the current
 * element or timer, or after the window expires. The default output timestamp is the
 * firing time for event time and the current timestamp for processing time. Shared by the
 * embedded runner and the Fn API harness so both reject the same timers with one message.
 */
export function checkedTimerOutput(t: TimerRequest): Instant {
  const { tag, domain, window, expiry, fireTimestamp, current } = t;
  const out = t.outputTimestamp ?? (domain === "EVENT_TIME" ? fireTimestamp : current);
  if (domain === "EVENT_TIME" && fireTimestamp > expiry) {
    throw new Error(
      `timer "${tag}" was set for ${formatInstant(fireTimestamp)}, after its window ${window.toString()} expires ` +
        `(${formatInstant(expiry)}); it could never fire. Set it earlier or raise the allowed lateness.`,
    );
  }
  if (domain === "EVENT_TIME" && out > fireTimestamp) {
    throw new Error(`timer "${tag}": the output timestamp ${formatInstant(out)} is after its firing time ${formatInstant(fireTimestamp)}.`);
  }
  if (out < current) {
    throw new Error(
      `timer "${tag}": the output timestamp ${formatInstant(out)} is before the current element's or timer's ` +
        `timestamp ${formatInstant(current)}; outputs could be late downstream.`,
    );
  }
  if (out > expiry) {
    throw new Error(`timer "${tag}": the output timestamp ${formatInstant(out)} is after its window ${window.toString()} expires (${formatInstant(expiry)}).`);
  }
  return out;
}
