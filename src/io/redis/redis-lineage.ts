import { Lineage, lineageName, type LineageDirection } from "../../metrics/index.js";
import type { ResolvedRedisConnection } from "./redis-connection.js";

/**
 * Keys of a Redis database as lineage: system `redis`, then `host:port`, the database
 * number and, when the step names one, the key pattern (a read) or stream. Only host, port
 * and database are read from the connection: its password (or a url Secret holding one)
 * never reaches a metric.
 *
 * @example redisLineageName({ host: "cache", port: 6379, db: 2 }, "session:*") // "redis:`cache:6379`.2.`session:*`"
 */
export function redisLineageName(connection: Pick<ResolvedRedisConnection, "host" | "port" | "db">, keys?: string): string {
  // An IPv6 host is bracketed, as in a url, so that the port stays apart.
  const host = connection.host.includes(":") ? `[${connection.host}]` : connection.host;
  const segments = [`${host}:${connection.port}`, String(connection.db)];
  return lineageName("redis", keys === undefined ? segments : [...segments, keys]);
}

/** Records that the running step read or wrote `keys` (a pattern or stream) of the connection's database, or the whole database. */
export function redisLineage(direction: LineageDirection, connection: Pick<ResolvedRedisConnection, "host" | "port" | "db">, keys?: string): void {
  Lineage.add(direction, redisLineageName(connection, keys));
}
