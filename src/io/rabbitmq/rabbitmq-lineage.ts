import { Lineage, lineageName, type LineageDirection } from "../../metrics/index.js";
import type { ResolvedRabbitMqConnection } from "./rabbitmq-connection.js";

/**
 * A queue or exchange as lineage: system `rabbitmq`, then `host:port`, the virtual host
 * and the queue (a read) or exchange (a write). Only host, port and vhost are read from
 * the connection: the url's user and password never reach a metric.
 *
 * @example rabbitMqLineageName({ host: "mq", port: 5672, vhost: "/" }, "orders") // "rabbitmq:`mq:5672`./.orders"
 */
export function rabbitMqLineageName(connection: Pick<ResolvedRabbitMqConnection, "host" | "port" | "vhost">, queueOrExchange: string): string {
  return lineageName("rabbitmq", [`${connection.host}:${connection.port}`, connection.vhost, queueOrExchange]);
}

/** Records that the running step read the queue or wrote the exchange `queueOrExchange`. */
export function rabbitMqLineage(direction: LineageDirection, connection: Pick<ResolvedRabbitMqConnection, "host" | "port" | "vhost">, queueOrExchange: string): void {
  Lineage.add(direction, rabbitMqLineageName(connection, queueOrExchange));
}
