import type { EnrichmentHandler } from "../../ml/index.js";
import { RedisSession, resolveRedisConnection, type RedisConnection } from "./redis-connection.js";
import { RedisIOError, messageOf } from "./redis-io-error.js";

/** Options of `redisEnrichmentHandler`. */
export interface RedisEnrichmentOptions<Resp> {
  readonly connection: RedisConnection;
  /** Turns a stored string into the response (default: JSON.parse). */
  readonly decode?: (value: string) => Resp;
  /** Keys per MGET (default 500). */
  readonly maxBatchSize?: number;
}

/**
 * An EnrichmentHandler on Redis string keys: a batch of keys is one MGET; a key that does
 * not exist is missing. Values are decoded with `decode` (JSON by default).
 *
 * @example
 * clicks.apply(enrich(redisEnrichmentHandler<Profile>({ connection: { url: "redis://cache:6379" } }), { key: (c) => `profile:${c.user}`, joinFn: (c, p) => ({ ...c, p }) }));
 */
export function redisEnrichmentHandler<Resp = unknown>(options: RedisEnrichmentOptions<Resp>): EnrichmentHandler<Resp, RedisSession> {
  const what = "redisEnrichmentHandler";
  const connection = resolveRedisConnection(what, options?.connection);
  const decode = options.decode ?? ((v: string) => JSON.parse(v) as Resp);
  return {
    id: `redis:${connection.address}`,
    maxBatchSize: options.maxBatchSize ?? 500,
    open: () => RedisSession.open(what, connection),
    async lookup(session, keys) {
      let values: unknown;
      try {
        values = await session.client.sendCommand(["MGET", ...keys]);
      } catch (err) {
        throw new RedisIOError(`${what}: MGET of ${keys.length} keys on ${connection.address} failed: ${messageOf(err)}`, { cause: err });
      }
      return (values as (string | null)[]).map((v) => (v === null ? undefined : decode(String(v))));
    },
    close: (session) => session.close(),
  };
}
