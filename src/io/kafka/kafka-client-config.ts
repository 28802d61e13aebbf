import zlib from "node:zlib";
import { ConstructionError } from "../../model/index.js";

/**
 * Beam KafkaIO's `withConsumerConfigUpdates` / `withProducerConfigUpdates` for beam-ts:
 * settings of the Kafka client, given by their Java client property names (what a Beam
 * user has in their KafkaIO code) or by the name @platformatic/kafka gives the same setting.
 * Each is translated to the client's option here, when the pipeline is built. A name the
 * connector manages itself is refused with the connector option to use instead, and so is a
 * name the client has no equivalent for: a setting silently ignored would leave the user
 * believing it applies.
 */
export type KafkaClientConfig = Readonly<Record<string, string | number | boolean>>;

/** Consumer settings beam-ts applies: the client's own options, and the reader's fetch requests. */
export interface ResolvedConsumerConfig {
  /** Options of the client's Consumer (and Admin) constructors. */
  readonly client: Readonly<Record<string, number>>;
  /** fetch.min.bytes: bytes a fetch waits for (default 1). */
  readonly minBytes: number | undefined;
  /** fetch.max.wait.ms: how long a fetch waits for them (default: the reader's pollMs). */
  readonly maxWaitTime: number | undefined;
  /** max.partition.fetch.bytes / fetch.max.bytes: bytes one fetch returns at most (the reader's maxBytesPerFetch). */
  readonly maxBytes: number | undefined;
}

/** Producer settings beam-ts applies: options of the client's Producer constructor. */
export interface ResolvedProducerConfig {
  readonly client: Readonly<Record<string, number | string>>;
}

/** A setting the connector decides itself, and where the user says it instead. */
const MANAGED: Readonly<Record<string, string>> = {
  "bootstrap.servers": "bootstrapServers",
  bootstrapBrokers: "bootstrapServers",
  "client.id": "clientId",
  clientId: "clientId",
  "security.protocol": "tls and sasl",
  tls: "tls",
  sasl: "sasl",
  "connections.max.idle.ms": "connectTimeoutMs",
  connectTimeout: "connectTimeoutMs",
  "socket.connection.setup.timeout.ms": "connectTimeoutMs",
};

const MANAGED_BY_READER: Readonly<Record<string, string>> = {
  "group.id": "commitOffsetsInFinalize: { groupId } (the reader fetches by offset and never joins a group)",
  groupId: "commitOffsetsInFinalize: { groupId } (the reader fetches by offset and never joins a group)",
  "enable.auto.commit": "commitOffsetsInFinalize (offsets are committed in bundle finalization, never automatically)",
  autocommit: "commitOffsetsInFinalize (offsets are committed in bundle finalization, never automatically)",
  "auto.offset.reset": "startOffset or startTimestamp",
  "isolation.level": "withReadCommitted",
  isolationLevel: "withReadCommitted",
  "key.deserializer": "keyDeserializer",
  "value.deserializer": "valueDeserializer",
  deserializers: "keyDeserializer and valueDeserializer",
};

const MANAGED_BY_WRITER: Readonly<Record<string, string>> = {
  acks: "nothing: every write waits for all in-sync replicas (acks=all), which idempotent and exactly-once writes need",
  "enable.idempotence": "nothing: writes are always idempotent",
  idempotent: "nothing: writes are always idempotent",
  "transactional.id": "exactlyOnce and transactionalIdPrefix",
  transactionalId: "exactlyOnce and transactionalIdPrefix",
  "transaction.timeout.ms": "transactionTimeoutMs",
  "key.serializer": "keySerializer",
  "value.serializer": "valueSerializer",
  serializers: "keySerializer and valueSerializer",
};

/** Settings of every client: Java name → the client's option. */
const COMMON: Readonly<Record<string, string>> = {
  "request.timeout.ms": "timeout",
  timeout: "timeout",
  retries: "retries",
  "retry.backoff.ms": "retryDelay",
  retryDelay: "retryDelay",
  "metadata.max.age.ms": "metadataMaxAge",
  metadataMaxAge: "metadataMaxAge",
};

const CONSUMER_FETCH: Readonly<Record<string, "minBytes" | "maxWaitTime" | "maxBytes">> = {
  "fetch.min.bytes": "minBytes",
  minBytes: "minBytes",
  "fetch.max.wait.ms": "maxWaitTime",
  maxWaitTime: "maxWaitTime",
  "fetch.max.bytes": "maxBytes",
  maxBytes: "maxBytes",
  "max.partition.fetch.bytes": "maxBytes",
  maxBytesPerPartition: "maxBytes",
};

const COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/** Checks and translates `readFromKafka`'s consumerConfig. */
export function resolveConsumerConfig(transform: string, config: KafkaClientConfig | undefined): ResolvedConsumerConfig {
  const client: Record<string, number> = {};
  const fetch: { minBytes?: number; maxWaitTime?: number; maxBytes?: number } = {};
  const from: Record<string, string> = {};
  for (const [name, value] of Object.entries(config ?? {})) {
    refuseManaged(transform, "consumerConfig", name, { ...MANAGED, ...MANAGED_BY_READER });
    const target = COMMON[name] ?? CONSUMER_FETCH[name];
    if (target === undefined) throw unknownSetting(transform, "consumerConfig", name, [...Object.keys(COMMON), ...Object.keys(CONSUMER_FETCH)]);
    const n = nonNegative(transform, "consumerConfig", name, value);
    const seen = from[target];
    if (seen !== undefined) throw new ConstructionError(`${transform}: consumerConfig sets ${target} twice, as ${JSON.stringify(seen)} and ${JSON.stringify(name)}; keep one.`);
    from[target] = name;
    if (CONSUMER_FETCH[name] !== undefined) fetch[CONSUMER_FETCH[name]] = n;
    else client[target] = n;
  }
  return { client, minBytes: fetch.minBytes, maxWaitTime: fetch.maxWaitTime, maxBytes: fetch.maxBytes };
}

/** Checks and translates `writeToKafka`'s producerConfig. */
export function resolveProducerConfig(transform: string, config: KafkaClientConfig | undefined): ResolvedProducerConfig {
  const client: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(config ?? {})) {
    refuseManaged(transform, "producerConfig", name, { ...MANAGED, ...MANAGED_BY_WRITER });
    if (name === "compression.type" || name === "compression") {
      if (client["compression"] !== undefined) throw new ConstructionError(`${transform}: producerConfig sets compression twice; keep one.`);
      client["compression"] = compression(transform, name, value);
      continue;
    }
    const target = COMMON[name];
    if (target === undefined) {
      const batching = /^(linger\.ms|batch\.size|buffer\.memory|max\.in\.flight\.requests\.per\.connection)$/.test(name);
      if (batching) {
        throw new ConstructionError(
          `${transform}: producerConfig ${JSON.stringify(name)} has no equivalent in the Kafka client beam-ts uses (@platformatic/kafka): ` +
            `each bundle's records are sent in one request per broker, so bundles do the batching. Remove it.`,
        );
      }
      throw unknownSetting(transform, "producerConfig", name, [...Object.keys(COMMON), "compression.type"]);
    }
    if (client[target] !== undefined) throw new ConstructionError(`${transform}: producerConfig sets ${target} twice; keep one.`);
    client[target] = nonNegative(transform, "producerConfig", name, value);
  }
  return { client };
}

function compression(transform: string, name: string, value: unknown): string {
  const v = String(value).toLowerCase();
  if (!(COMPRESSIONS as readonly string[]).includes(v)) {
    throw new ConstructionError(`${transform}: producerConfig ${JSON.stringify(name)} is ${JSON.stringify(value)}; use one of ${COMPRESSIONS.join(", ")}.`);
  }
  // The client compresses zstd with node:zlib's, which Node has from 22.15 and 23.8 on.
  if (v === "zstd" && typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== "function") {
    throw new ConstructionError(`${transform}: producerConfig compression "zstd" needs Node 22.15 or newer (node:zlib's zstd); this is Node ${process.versions.node}. Use gzip, snappy or lz4.`);
  }
  return v;
}

function refuseManaged(transform: string, option: string, name: string, managed: Readonly<Record<string, string>>): void {
  const instead = managed[name] ?? (/^(ssl|sasl)\./.test(name) ? "tls and sasl" : undefined);
  if (instead !== undefined) throw new ConstructionError(`${transform}: ${option} cannot set ${JSON.stringify(name)}: beam-ts sets it; use ${instead}.`);
}

function unknownSetting(transform: string, option: string, name: string, known: readonly string[]): ConstructionError {
  return new ConstructionError(
    `${transform}: ${option} ${JSON.stringify(name)} is not a setting beam-ts can pass to its Kafka client (@platformatic/kafka). ` +
      `It takes: ${known.filter((k) => k.includes(".") || k === "retries").join(", ")} (or the client's names of the same settings).`,
  );
}

function nonNegative(transform: string, option: string, name: string, value: unknown): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new ConstructionError(`${transform}: ${option} ${JSON.stringify(name)} must be a non-negative integer, got ${JSON.stringify(value)}.`);
  }
  return n;
}
