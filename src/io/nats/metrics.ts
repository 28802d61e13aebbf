import type { DoFnMetrics } from "../../transforms/index.js";
import type { NatsSession } from "./nats-connection.js";

/**
 * Counter of lost connections a NATS step reconnected, in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(NATS_RECONNECTS_METRIC).counters[0]?.attempted
 */
export const NATS_RECONNECTS_METRIC = { namespace: "beam-ts.io.nats", name: "reconnects" } as const;

/**
 * Counter of messages writeToNats published that JetStream recognised as duplicates of an
 * earlier publish with the same message id (a retried bundle), and did not store again.
 *
 * @example result.metrics().queryMetrics(NATS_DUPLICATES_METRIC).counters[0]?.committed
 */
export const NATS_DUPLICATES_METRIC = { namespace: "beam-ts.io.nats", name: "duplicates" } as const;

/** Adds the session's reconnections since the last report to NATS_RECONNECTS_METRIC. */
export function reportReconnects(session: NatsSession, metrics: DoFnMetrics): void {
  const n = session.takeReconnects();
  if (n > 0) metrics.counter(NATS_RECONNECTS_METRIC.namespace, NATS_RECONNECTS_METRIC.name).inc(n);
}
