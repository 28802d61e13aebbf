import { describe, expect, it } from "vitest";
import type { DoFnMetrics } from "../../transforms/index.js";
import { KAFKA_UNREADABLE_PARTITION_METRIC, UNREADABLE_REPORT_AFTER_MS, UNREADABLE_REPORT_EVERY_MS, UnreadablePartition, isUnreadablePartitionCode } from "./unreadable-partition.js";

/** A DoFnMetrics that keeps counters by "namespace/name". */
function countingMetrics(): { metrics: DoFnMetrics; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const metrics = {
    counter: (namespace: string, name: string) => ({
      inc: (n = 1) => counts.set(`${namespace}/${name}`, (counts.get(`${namespace}/${name}`) ?? 0) + n),
    }),
  } as unknown as DoFnMetrics;
  return { metrics, counts };
}

const KEY = `${KAFKA_UNREADABLE_PARTITION_METRIC.namespace}/${KAFKA_UNREADABLE_PARTITION_METRIC.name}`;

describe("an unreadable Kafka partition", () => {
  it("tells the retry-later error codes from the others", () => {
    expect([3, 6, 74, 75].map(isUnreadablePartitionCode)).toEqual([true, true, true, true]);
    expect([0, 1, 2, 29].map(isUnreadablePartitionCode)).toEqual([false, false, false, false]);
  });

  it("counts every refused fetch and reports the partition once it stays unreadable, then every minute, naming it and the error", () => {
    const { metrics, counts } = countingMetrics();
    const p = new UnreadablePartition();
    const t0 = 1_000_000;
    expect(p.refused("ReadFromKafka", "orders-2", 3, metrics, t0)).toBeUndefined();
    expect(p.refused("ReadFromKafka", "orders-2", 3, metrics, t0 + UNREADABLE_REPORT_AFTER_MS - 1)).toBeUndefined();
    const first = p.refused("ReadFromKafka", "orders-2", 3, metrics, t0 + UNREADABLE_REPORT_AFTER_MS);
    expect(first).toMatch(/"ReadFromKafka": orders-2 has been unreadable for 30 s \(Kafka error 3 UNKNOWN_TOPIC_OR_PARTITION/);
    expect(first).toMatch(/holds the watermark/);
    expect(p.refused("ReadFromKafka", "orders-2", 3, metrics, t0 + UNREADABLE_REPORT_AFTER_MS + 1_000)).toBeUndefined();
    expect(p.refused("ReadFromKafka", "orders-2", 6, metrics, t0 + UNREADABLE_REPORT_AFTER_MS + UNREADABLE_REPORT_EVERY_MS)).toMatch(/for 90 s \(Kafka error 6 NOT_LEADER_OR_FOLLOWER/);
    expect(counts.get(KEY)).toBe(5);
  });

  it("starts counting the time anew once the partition served a fetch", () => {
    const { metrics } = countingMetrics();
    const p = new UnreadablePartition();
    p.refused("R", "t-0", 6, metrics, 0);
    p.served();
    expect(p.refused("R", "t-0", 6, metrics, UNREADABLE_REPORT_AFTER_MS)).toBeUndefined();
    expect(p.refused("R", "t-0", 6, metrics, 2 * UNREADABLE_REPORT_AFTER_MS)).toMatch(/unreadable for 30 s/);
  });
});
