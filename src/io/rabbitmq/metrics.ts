import type { DoFnMetrics } from "../../transforms/index.js";

/**
 * Counter of connections a RabbitMQ step opened again after it lost one while running (the
 * broker went away or closed the connection), in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(RABBITMQ_RECONNECTS_METRIC).counters[0]?.attempted
 */
export const RABBITMQ_RECONNECTS_METRIC = { namespace: "beam-ts.io.rabbitmq", name: "reconnects" } as const;

/**
 * Counter of connection attempts that failed while the step waited for a lost broker to come
 * back, each followed by a backoff and another attempt, in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(RABBITMQ_RETRIES_METRIC).counters[0]?.attempted
 */
export const RABBITMQ_RETRIES_METRIC = { namespace: "beam-ts.io.rabbitmq", name: "retries" } as const;

/** What opening a connection took, counted until a DoFn reports it (setup has no metrics). */
export interface ConnectStats {
  retries: number;
  reconnects: number;
}

/** Adds `stats` to the step's counters and resets them. */
export function reportConnectStats(stats: ConnectStats, metrics: DoFnMetrics): void {
  if (stats.retries > 0) metrics.counter(RABBITMQ_RETRIES_METRIC.namespace, RABBITMQ_RETRIES_METRIC.name).inc(stats.retries);
  if (stats.reconnects > 0) metrics.counter(RABBITMQ_RECONNECTS_METRIC.namespace, RABBITMQ_RECONNECTS_METRIC.name).inc(stats.reconnects);
  stats.retries = 0;
  stats.reconnects = 0;
}
