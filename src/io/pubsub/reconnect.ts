import type { DoFnMetrics } from "../../transforms/index.js";
import { grpcCode } from "./pubsub-client.js";

/**
 * How a Pub/Sub step rides out a server that goes away while the job runs.
 *
 * gRPC reconnects its channel by itself, but each call made while the server is away fails
 * with UNAVAILABLE. gax's own retries of those calls are switched off (`retry: null`) so
 * that the connector sees them, waits with backoff (100 ms doubling up to 5 s,
 * `connection.reconnectRetries` times, default 10: about 25 s), and counts them. A step
 * that has not reached the server yet does not wait: a server down from the start fails at
 * once with its address and a hint.
 */

/**
 * Counter of Pub/Sub calls that failed because the server could not be reached while the
 * job ran, each followed by a backoff and another attempt, in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(PUBSUB_RETRIES_METRIC).counters[0]?.attempted
 */
export const PUBSUB_RETRIES_METRIC = { namespace: "beam-ts.io.pubsub", name: "retries" } as const;

/**
 * Counter of calls that reached the server again after one or more retries (the server came
 * back), in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(PUBSUB_RECONNECTS_METRIC).counters[0]?.attempted
 */
export const PUBSUB_RECONNECTS_METRIC = { namespace: "beam-ts.io.pubsub", name: "reconnects" } as const;

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/** gRPC status UNAVAILABLE: the server is not reachable (refused, reset, or not listening yet). */
const UNAVAILABLE = 14;
/** gRPC status NOT_FOUND. */
const NOT_FOUND = 5;

/** Retries and reconnects counted by calls that have no metrics at hand (finalizers), reported with the next call that has. */
export interface OutageStats {
  retries: number;
  reconnects: number;
}

/** Adds `stats` to the step's counters and resets them. */
export function reportOutageStats(stats: OutageStats, metrics: DoFnMetrics): void {
  if (stats.retries > 0) metrics.counter(PUBSUB_RETRIES_METRIC.namespace, PUBSUB_RETRIES_METRIC.name).inc(stats.retries);
  if (stats.reconnects > 0) metrics.counter(PUBSUB_RECONNECTS_METRIC.namespace, PUBSUB_RECONNECTS_METRIC.name).inc(stats.reconnects);
  stats.retries = 0;
  stats.reconnects = 0;
}

/**
 * Runs `call`; when it fails with UNAVAILABLE and the step has reached the server before
 * (`reached`), waits and runs it again, up to `retries` more times, counting in `stats`.
 *
 * While such an outage lasts, NOT_FOUND is waited for too: a server that restarted without
 * its state (an emulator or fake keeps everything in memory) answers NOT_FOUND until the
 * topic or subscription is made again. Outside an outage NOT_FOUND fails at once.
 *
 * @example const [res] = await callWithRetry(() => client.pull(req, { timeout: 30_000, retry: null }), true, 10, stats);
 */
export async function callWithRetry<R>(call: () => Promise<R>, reached: boolean, retries: number, stats: OutageStats): Promise<R> {
  let outage = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await call();
      if (outage) stats.reconnects++;
      return result;
    } catch (err) {
      const code = grpcCode(err);
      const waitable = code === UNAVAILABLE || (outage && code === NOT_FOUND);
      if (!reached || !waitable || attempt >= retries) throw err;
      outage = true;
      stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt)));
    }
  }
}
