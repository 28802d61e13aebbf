import type { JobSnapshot } from "../pipeline/index.js";

/**
 * A snapshot as the monitoring page receives it (one JSON text per Server-Sent Event).
 *
 * - Watermarks of ±Infinity become the strings `"+Infinity"`/`"-Infinity"`: JSON has no
 *   infinities, and `null` would lose which end it is.
 * - String-set metrics are left out: unlike counters they are free text a DoFn chose, and
 *   may hold element values, which the page never shows. Lineage (dataset names) stays.
 */
export function uiPayload(snap: JobSnapshot): string {
  const { stringSets: _omitted, ...metrics } = snap.metrics;
  return JSON.stringify({ ...snap, metrics }, (_key, value: unknown) =>
    typeof value === "number" && !Number.isFinite(value) && !Number.isNaN(value) ? (value > 0 ? "+Infinity" : "-Infinity") : value,
  );
}
