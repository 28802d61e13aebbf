import { Lineage, lineageName, type LineageDirection } from "../../metrics/index.js";
import { printableServer, type ResolvedNatsConnection } from "./nats-connection.js";

/**
 * A JetStream stream or subject as lineage: system `nats`, then the servers (`host:port`,
 * comma-separated, without scheme) and the stream (a read) or subject (a write). Only the
 * servers are read from the connection, and credentials written into a server url
 * (`nats://user:pass@host`) are cut off: neither password nor token reaches a metric.
 *
 * @example natsLineageName({ servers: ["nats://127.0.0.1:4222"] }, "ORDERS") // "nats:`127.0.0.1:4222`.ORDERS"
 */
export function natsLineageName(connection: Pick<ResolvedNatsConnection, "servers">, streamOrSubject: string): string {
  const servers = connection.servers.map((s) => printableServer(s).replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")).join(",");
  return lineageName("nats", [servers, streamOrSubject]);
}

/** Records that the running step read the stream or wrote the subject `streamOrSubject`. */
export function natsLineage(direction: LineageDirection, connection: Pick<ResolvedNatsConnection, "servers">, streamOrSubject: string): void {
  Lineage.add(direction, natsLineageName(connection, streamOrSubject));
}
