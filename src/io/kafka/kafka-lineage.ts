import { Lineage, lineageName, type LineageDirection } from "../../metrics/index.js";
import type { ResolvedKafkaConnection } from "./kafka-connection.js";

/**
 * A topic as lineage, as Beam's KafkaIO reports it: system `kafka`, then the bootstrap
 * servers (the comma list as given) and the topic. Only the broker addresses are read from
 * the connection: SASL credentials never reach a metric.
 *
 * @example kafkaLineageName({ brokers: ["b1:9092", "b2:9092"], ... }, "orders") // "kafka:`b1:9092,b2:9092`.orders"
 */
export function kafkaLineageName(connection: Pick<ResolvedKafkaConnection, "brokers">, topic: string): string {
  return lineageName("kafka", [connection.brokers.join(","), topic]);
}

/** Records that the running step read or wrote `topic` (see `kafkaLineageName`). */
export function kafkaLineage(direction: LineageDirection, connection: Pick<ResolvedKafkaConnection, "brokers">, topic: string): void {
  Lineage.add(direction, kafkaLineageName(connection, topic));
}
