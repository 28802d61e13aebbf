import type { BoundedWindow, KV } from "../../model/index.js";
import { UserCodeError, describeValue } from "../../model/index.js";

/**
 * The element of a stateful transform as a KV, or the error Beam users need: state and
 * timers are per key, so the input must be keyed. Shared by the embedded runner and the
 * harness so both say the same.
 */
export function requireKeyed(label: string, value: unknown, window: BoundedWindow): KV<unknown, unknown> {
  if (typeof value === "object" && value !== null && "key" in value) return value as KV<unknown, unknown>;
  throw new UserCodeError(
    label,
    describeValue(value),
    window.toString(),
    `Transform "${label}" is stateful and needs KV elements ({ key, value }), got ${describeValue(value)}; ` +
      `key the input first (e.g. with withKeys or map(x => kv(key, x))).`,
  );
}
