import type { DoFnMetrics } from "../../transforms/index.js";
import type { RedisSession } from "./redis-connection.js";

/**
 * Counter of lost connections a Redis step reconnected (each attempt counts), in the
 * attempted metrics of the step (a reconnection may happen in a bundle that then fails).
 *
 * @example result.metrics().queryMetrics(REDIS_RECONNECTS_METRIC).counters[0]?.attempted
 */
export const REDIS_RECONNECTS_METRIC = { namespace: "beam-ts.io.redis", name: "reconnects" } as const;

/**
 * Counter of keys readFromRedis matched but did not read: keys that hold another type
 * than a string (a hash, list, set, stream…), or that expired or were deleted between SCAN
 * and MGET (Redis answers nil for both).
 *
 * @example result.metrics().queryMetrics(REDIS_SKIPPED_KEYS_METRIC).counters[0]?.committed
 */
export const REDIS_SKIPPED_KEYS_METRIC = { namespace: "beam-ts.io.redis", name: "skippedKeys" } as const;

/** Adds the session's reconnections since the last report to REDIS_RECONNECTS_METRIC. */
export function reportReconnects(session: RedisSession, metrics: DoFnMetrics): void {
  const n = session.takeReconnects();
  if (n > 0) metrics.counter(REDIS_RECONNECTS_METRIC.namespace, REDIS_RECONNECTS_METRIC.name).inc(n);
}
