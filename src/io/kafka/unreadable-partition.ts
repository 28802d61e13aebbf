import type { DoFnMetrics } from "../../transforms/index.js";

/**
 * A partition the broker answers for but will not serve right now (its leader moved, the
 * leader epoch is stale, or the topic or partition is unknown to the broker): the reader
 * keeps its position and asks again, so the partition holds the watermark. Beam's KafkaIO
 * leaves this to the consumer, which retries for ever; here it is also *reported*, so a
 * deleted topic or a lost leader does not stall the job's watermark silently.
 */

/**
 * Counter of fetches a partition refused with one of those errors, in the step's attempted
 * metrics.
 *
 * @example result.metrics().queryMetrics(KAFKA_UNREADABLE_PARTITION_METRIC).counters[0]?.attempted
 */
export const KAFKA_UNREADABLE_PARTITION_METRIC = { namespace: "beam-ts.io.kafka", name: "unreadablePartitionFetches" } as const;

/** How long a partition stays unreadable before it is reported, and how often after that. */
export const UNREADABLE_REPORT_AFTER_MS = 30_000;
export const UNREADABLE_REPORT_EVERY_MS = 60_000;

/** Kafka protocol error codes a partition answers with while it cannot be read, by name. */
const ERROR_NAMES: Readonly<Record<number, string>> = {
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  6: "NOT_LEADER_OR_FOLLOWER",
  74: "FENCED_LEADER_EPOCH",
  75: "UNKNOWN_LEADER_EPOCH",
};

/** Whether a fetch error code means "not readable now, ask again later". */
export function isUnreadablePartitionCode(code: number): boolean {
  return ERROR_NAMES[code] !== undefined;
}

/** How long one partition has been unreadable, and when it was last reported. */
export class UnreadablePartition {
  private since: number | undefined;
  private reportedAt: number | undefined;

  /**
   * Notes a refused fetch: counts it, and returns the warning to print when the partition
   * has been unreadable for UNREADABLE_REPORT_AFTER_MS (then every UNREADABLE_REPORT_EVERY_MS).
   */
  refused(step: string, partition: string, code: number, metrics: DoFnMetrics, now: number = Date.now()): string | undefined {
    metrics.counter(KAFKA_UNREADABLE_PARTITION_METRIC.namespace, KAFKA_UNREADABLE_PARTITION_METRIC.name).inc();
    this.since ??= now;
    const unreadableMs = now - this.since;
    if (unreadableMs < UNREADABLE_REPORT_AFTER_MS) return undefined;
    if (this.reportedAt !== undefined && now - this.reportedAt < UNREADABLE_REPORT_EVERY_MS) return undefined;
    this.reportedAt = now;
    return (
      `"${step}": ${partition} has been unreadable for ${Math.round(unreadableMs / 1000)} s (Kafka error ${code} ${ERROR_NAMES[code] ?? "?"}: ` +
      `its leader moved, or the broker does not know the topic or partition). The read keeps its position and holds the watermark ` +
      `until the partition can be read again. If the topic was deleted, stop the job; if a broker is down, bring it back.`
    );
  }

  /** Notes a fetch the partition served. */
  served(): void {
    this.since = undefined;
    this.reportedAt = undefined;
  }
}
