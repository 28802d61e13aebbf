import { ConstructionError, kv, type KV } from "../../model/index.js";
import { kvCoder, stringUtf8Coder } from "../../coders/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { create, groupByKey, map, parDo, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { REDIS_SKIPPED_KEYS_METRIC, reportReconnects } from "./metrics.js";
import { RedisSession, resolveRedisConnection, type RedisConnection, type ResolvedRedisConnection } from "./redis-connection.js";
import { redisLineage } from "./redis-lineage.js";
import { RedisIOError, messageOf } from "./redis-io-error.js";

/** Options of readFromRedisKeyPatterns. */
export interface ReadFromRedisKeyPatternsOptions {
  readonly connection: RedisConnection;
  /** SCAN's COUNT hint and the keys per MGET: how many keys one round trip asks for. Default 1000 (Beam's). */
  readonly batchSize?: number;
}

/** Options of readFromRedis. */
export interface ReadFromRedisOptions extends ReadFromRedisKeyPatternsOptions {
  /** Which keys: a Redis glob (`*`, `?`, `[a-z]`, `\` escapes) as SCAN's MATCH. Default "*": all. */
  readonly keyPattern?: string;
}

const KV_STRINGS = kvCoder(stringUtf8Coder, stringUtf8Coder);

/**
 * Beam's RedisIO.read: the string keys matching `keyPattern` in the connection's database,
 * with their values, as `KV<string, string>`, read with SCAN (`batchSize` keys per call,
 * so the server is never blocked) and MGET. Bounded: it reads the keys present during the
 * scan. Keys of other types (hashes, lists, sets, streams…) are skipped and counted in
 * REDIS_SKIPPED_KEYS_METRIC, as Beam skips them (MGET answers nil for them). SCAN may
 * return a key more than once; the read drops the repeats (a GroupByKey, as Beam's
 * Latest.perKey), which also spreads the keys over workers.
 *
 * Keys written or deleted while the scan runs may or may not be read (SCAN's guarantee:
 * a key present from start to end is read).
 *
 * @example const sessions = p.apply(readFromRedis({ connection: { url: new Secret(url) }, keyPattern: "session:*" }));
 */
export function readFromRedis(options: ReadFromRedisOptions): PTransform<PBegin, PCollection<KV<string, string>>> {
  const resolved = resolveReadOptions("readFromRedis", options);
  const pattern = options.keyPattern ?? "*";
  if (typeof pattern !== "string" || pattern === "") throw new ConstructionError(`readFromRedis: keyPattern must be a non-empty string (a Redis glob such as "user:*"), got ${String(pattern)}.`);
  return new ReadFromRedis(pattern, resolved);
}

/**
 * Beam's RedisIO.readKeyPatterns: readFromRedis for each key pattern of the input.
 *
 * @example patterns.apply(readFromRedisKeyPatterns({ connection }))
 */
export function readFromRedisKeyPatterns(options: ReadFromRedisKeyPatternsOptions): PTransform<PCollection<string>, PCollection<KV<string, string>>> {
  return new ReadKeyPatterns(resolveReadOptions("readFromRedisKeyPatterns", options));
}

interface ReadSettings {
  readonly connection: ResolvedRedisConnection;
  readonly batchSize: number;
}

function resolveReadOptions(what: string, options: ReadFromRedisKeyPatternsOptions): ReadSettings {
  if (typeof options !== "object" || options === null) throw new ConstructionError(`${what} needs options: { connection, keyPattern, batchSize }.`);
  const connection = resolveRedisConnection(what, options.connection);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ConstructionError(`${what}: batchSize must be a positive integer, got ${String(batchSize)}.`);
  return { connection, batchSize };
}

class ReadFromRedis extends PTransform<PBegin, PCollection<KV<string, string>>> {
  constructor(
    private readonly pattern: string,
    private readonly settings: ReadSettings,
  ) {
    super("ReadFromRedis");
  }
  expand(input: PBegin): PCollection<KV<string, string>> {
    return input.apply("KeyPattern", create([this.pattern], { coder: stringUtf8Coder })).apply("ReadKeyPatterns", new ReadKeyPatterns(this.settings));
  }
}

class ReadKeyPatterns extends PTransform<PCollection<string>, PCollection<KV<string, string>>> {
  constructor(private readonly settings: ReadSettings) {
    super("ReadFromRedisKeyPatterns");
  }
  expand(input: PCollection<string>): PCollection<KV<string, string>> {
    const step = `${input.pipeline.currentLabel()}/Scan`;
    return input
      .apply("Scan", parDo(new ScanKeysFn(this.settings, step)))
      .withCoder(KV_STRINGS)
      .apply("DropRepeatedKeys", dropRepeatedKeys());
  }
}

/**
 * One KV per key: SCAN may return a key twice (when the keyspace is resized during the scan);
 * both copies hold the value MGET read then, so either is kept.
 */
export function dropRepeatedKeys(): PTransform<PCollection<KV<string, string>>, PCollection<KV<string, string>>> {
  return new DropRepeatedKeys();
}

class DropRepeatedKeys extends PTransform<PCollection<KV<string, string>>, PCollection<KV<string, string>>> {
  constructor() {
    super("DropRepeatedKeys");
  }
  expand(input: PCollection<KV<string, string>>): PCollection<KV<string, string>> {
    return input
      .apply("GroupByKey", groupByKey<string, string>())
      .apply(
        "First",
        map((g: KV<string, Iterable<string>>) => {
          for (const v of g.value) return kv(g.key, v);
          throw new RedisIOError(`DropRepeatedKeys got key ${JSON.stringify(g.key)} with no value.`);
        }),
      )
      .withCoder(KV_STRINGS);
  }
}

function scanReply(reply: unknown): { cursor: string; keys: string[] } {
  if (Array.isArray(reply) && reply.length === 2 && Array.isArray(reply[1])) {
    return { cursor: String(reply[0]), keys: (reply[1] as unknown[]).map(String) };
  }
  throw new RedisIOError(`Unexpected SCAN reply from Redis: ${String(JSON.stringify(reply)).slice(0, 120)}.`);
}

/** SCANs one key pattern to its end and MGETs each batch of keys. */
class ScanKeysFn implements DoFn<string, KV<string, string>> {
  private session: RedisSession | undefined;

  constructor(
    readonly settings: ReadSettings,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    this.session = await RedisSession.open(this.step, this.settings.connection);
  }

  async process(pattern: string, ctx: ProcessContext<KV<string, string>>): Promise<void> {
    const session = this.session!;
    redisLineage("sources", this.settings.connection, pattern);
    const count = String(this.settings.batchSize);
    const skipped = ctx.metrics.counter(REDIS_SKIPPED_KEYS_METRIC.namespace, REDIS_SKIPPED_KEYS_METRIC.name);
    let cursor = "0";
    try {
      do {
        // A lost connection is restored by the client (the command waits in its queue);
        // the cursor is all the state a scan has, so it goes on where it was.
        const { cursor: next, keys } = scanReply(await session.client.sendCommand(["SCAN", cursor, "MATCH", pattern, "COUNT", count]));
        if (keys.length > 0) {
          const values = (await session.client.sendCommand(["MGET", ...keys])) as unknown[];
          let missing = 0;
          for (let i = 0; i < keys.length; i++) {
            const v = values[i];
            if (v === null || v === undefined) missing++;
            else ctx.output(kv(keys[i]!, String(v)));
          }
          if (missing > 0) skipped.inc(missing);
        }
        reportReconnects(session, ctx.metrics);
        cursor = next;
      } while (cursor !== "0");
    } catch (err) {
      if (err instanceof RedisIOError) throw err;
      throw new RedisIOError(
        `"${this.step}" could not scan keys matching ${JSON.stringify(pattern).slice(0, 120)} at ${session.connection.address}: ${messageOf(err)}. ` +
          `The bundle is retried and the scan starts again.`,
        { cause: err },
      );
    }
  }

  teardown(): void {
    this.session?.close();
    this.session = undefined;
  }
}
