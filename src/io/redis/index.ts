// Redis IO: write elements with SET, HSET, XADD, PFADD, INCRBY and more; read string keys by pattern (Beam's RedisIO) and streams through consumer groups.
export { writeToRedis, type RedisWrite, type WriteToRedisFnOptions, type WriteToRedisOptions } from "./write-to-redis.js";
export {
  readFromRedis,
  readFromRedisKeyPatterns,
  type ReadFromRedisKeyPatternsOptions,
  type ReadFromRedisOptions,
} from "./read-from-redis.js";
export type { RedisCommandValues, RedisWriteCommand } from "./write-commands.js";
export type { RedisConnection, RedisTlsOptions, SecretOrString } from "./redis-connection.js";
export { REDIS_RECONNECTS_METRIC, REDIS_SKIPPED_KEYS_METRIC } from "./metrics.js";
export { RedisIOError } from "./redis-io-error.js";
export { readFromRedisStream, type ReadFromRedisStreamOptions, type RedisStreamEntry } from "./read-from-redis-stream.js";
export { redisEnrichmentHandler, type RedisEnrichmentOptions } from "./redis-enrichment-handler.js";
