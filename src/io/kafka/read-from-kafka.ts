import { encodeToBytes, jsValueCoder } from "../../coders/index.js";
import { ConstructionError, type Coder, type Duration, type Instant } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { impulse, parDo, splittableParDo, type BadRecord, type DoFn, type ProcessContext, type WithFailures } from "../../transforms/index.js";
import { clientOptions, loadKafkaModule, resolveKafkaConnection, unreachable, type KafkaConnection } from "./kafka-connection.js";
import { resolveConsumerConfig, type KafkaClientConfig } from "./kafka-client-config.js";
import { KafkaIOError, messageOf } from "./kafka-io-error.js";
import type { KafkaRecord, RawKafkaRecord } from "./kafka-record.js";
import type { KafkaTimestampPolicy } from "./kafka-watermark.js";
import { currentPartitions, describePartitions, type KafkaStartOffset, type ListingSettings } from "./partition-listing.js";
import { ReadPartitionFn, type KafkaPartitionDescriptor, type PartitionReadSettings } from "./read-partition-fn.js";
import { checkFormat, deserializerOf, prepareSerde, type KafkaAvroFormat, type KafkaDeserializer, type KafkaFormat } from "./serde.js";
import { WatchPartitionsFn } from "./watch-partitions-fn.js";

export type { KafkaStartOffset } from "./partition-listing.js";

/** Avro decoding of keys or values with a schema (see `KafkaAvroFormat`). */
type Deserializing<T> = KafkaFormat | KafkaDeserializer<T> | KafkaAvroFormat;

/** Options of readFromKafka. */
export interface ReadFromKafkaOptions<K, V> extends KafkaConnection {
  /** Topics to read, every partition of each; or give `topicPattern`. */
  readonly topics?: readonly string[];
  /**
   * Read every topic whose whole name matches (Beam's withTopicPattern), including topics
   * created while the job runs (an unbounded read watches for them, see
   * `partitionDiscoveryIntervalMs`).
   */
  readonly topicPattern?: RegExp;
  /** Default "earliest". A number is an offset in every partition (clamped by the broker's range check: out of range fails). */
  readonly startOffset?: KafkaStartOffset;
  /**
   * Start each partition at its first record whose timestamp is at or after this instant
   * (ms since the epoch; Beam's withStartReadTime), or at its end if there is none yet.
   * Instead of startOffset.
   */
  readonly startTimestamp?: Instant;
  /**
   * Makes the read bounded: "latest" stops at each partition's end offset when the job
   * started (its last stable offset with withReadCommitted); a number stops before that
   * offset in every partition. Undefined: unbounded.
   */
  readonly stopOffset?: "latest" | number;
  /**
   * Makes the read bounded: at most this many records in all (Beam's withMaxNumRecords).
   * The partitions' shares are fixed at start from the records they hold (evenly, a short
   * partition giving all it has); records the topic does not hold yet are waited for, so
   * pair it with `maxReadTime` on a topic that may not get them.
   */
  readonly maxRecords?: number;
  /** Makes the read bounded: each partition is read until this long after the job started (ms; Beam's withMaxReadTime). */
  readonly maxReadTime?: Duration;
  /** Default "bytes" (Uint8Array). "string" and "json" are strict: bytes they cannot read are dead letters; so are records an Avro schema cannot read. */
  readonly keyDeserializer?: Deserializing<K>;
  readonly valueDeserializer?: Deserializing<V>;
  /** Read only committed transactional records (isolation.level=read_committed). Default false. */
  readonly withReadCommitted?: boolean;
  /** Default "logAppendTime". */
  readonly timestampPolicy?: KafkaTimestampPolicy;
  /**
   * Commit the offsets read to this consumer group once the bundle that read them is
   * committed (Beam's commitOffsetsInFinalize). Advisory: for monitoring and for a new job
   * started without a checkpoint; the read's position is the checkpoint's.
   */
  readonly commitOffsetsInFinalize?: { readonly groupId: string };
  /** How long one fetch waits in the broker for new records (ms). Default 500. */
  readonly pollMs?: Duration;
  /** Lag of the idle-partition watermark behind processing time (ms). Default 1000. */
  readonly idleLagMs?: Duration;
  /**
   * How long a partition must have been caught up (nothing more to read) before it counts
   * as idle and its watermark follows processing time, so that it does not hold the job's
   * watermark back (ms; Flink's withIdleness). Default 0: idle as soon as caught up.
   */
  readonly idleTimeoutMs?: Duration;
  /**
   * Unbounded reads: how often the topics are listed again to find partitions added while
   * the job runs (and, with topicPattern, new topics), which are then read from their
   * earliest offset (ms). Default 30000; 0 lists once, at the first start.
   */
  readonly partitionDiscoveryIntervalMs?: Duration;
  /** Bytes per fetch. Default 1 MiB. */
  readonly maxBytesPerFetch?: number;
  /**
   * Settings of the Kafka client, as Beam's `withConsumerConfigUpdates`: Java consumer
   * property names (`fetch.min.bytes`, `fetch.max.wait.ms`, `max.partition.fetch.bytes`,
   * `fetch.max.bytes`, `request.timeout.ms`, `retries`, `retry.backoff.ms`,
   * `metadata.max.age.ms`) or the client's names of them. What the connector decides itself
   * (`group.id`, `enable.auto.commit`, `isolation.level`, deserializers, servers, TLS, SASL)
   * and what the client has no equivalent for are refused when the pipeline is built, naming
   * the option to use instead.
   *
   * @example consumerConfig: { "fetch.min.bytes": 65536, "fetch.max.wait.ms": 200 }
   */
  readonly consumerConfig?: KafkaClientConfig;
}

interface ReadSettings {
  readonly partitionRead: PartitionReadSettings;
  readonly listing: ListingSettings;
  readonly bounded: boolean;
  readonly discoveryIntervalMs: Duration;
  readonly keyFormat: Deserializing<unknown>;
  readonly valueFormat: Deserializing<unknown>;
}

function nonNegative(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw new ConstructionError(`readFromKafka: ${name} must be an integer >= 0, got ${String(v)}.`);
  return v;
}

/**
 * Reads records from Kafka topics (Beam's KafkaIO.read): a splittable DoFn with one
 * restriction per topic-partition (an OffsetRange of its offsets), so partitions are read
 * in parallel, checkpointed with the job and resumed where they were. Returns
 * `{ output, failures }`: records whose key or value the deserializer rejects go to
 * `failures` as BadRecords holding the raw record (topic, partition, offset, bytes).
 *
 * Guarantee: with checkpoints, every record is read at least once by the job's history and
 * exactly once by its checkpointed state (the offsets are in the checkpoint). The watermark
 * of each partition follows `timestampPolicy`; an idle partition (read to its end) moves
 * its watermark to processing time minus `idleLagMs`. See docs/IO.md, "Kafka".
 *
 * @example
 * const { output } = p.apply(readFromKafka<string, string>({ bootstrapServers: "127.0.0.1:9092", topics: ["orders"], valueDeserializer: "string", keyDeserializer: "string" }));
 */
export function readFromKafka<K = Uint8Array, V = Uint8Array>(options: ReadFromKafkaOptions<K, V>): PTransform<PBegin, WithFailures<PCollection<KafkaRecord<K, V>>>> {
  if (typeof options !== "object" || options === null) {
    throw new ConstructionError("readFromKafka needs options: { bootstrapServers, topics, startOffset, stopOffset, keyDeserializer, valueDeserializer }.");
  }
  const consumerConfig = resolveConsumerConfig("readFromKafka", options.consumerConfig);
  const connection = { ...resolveKafkaConnection("readFromKafka", options), tuning: consumerConfig.client };
  const configured = (name: string, own: number | undefined, fromConfig: number | undefined, config: string): number | undefined => {
    if (own !== undefined && fromConfig !== undefined) throw new ConstructionError(`readFromKafka: ${name} and consumerConfig's ${config} set the same thing; keep one.`);
    return own ?? fromConfig;
  };
  const pattern = options.topicPattern;
  if (pattern !== undefined && (!(pattern instanceof RegExp) || options.topics !== undefined)) {
    throw new ConstructionError("readFromKafka: give either topics (names) or topicPattern (a RegExp over topic names), not both.");
  }
  if (pattern === undefined && (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => typeof t !== "string" || t === ""))) {
    throw new ConstructionError(`readFromKafka: topics must be a non-empty array of topic names (or give topicPattern), got ${JSON.stringify(options.topics)}.`);
  }
  const startTimestamp = options.startTimestamp;
  if (startTimestamp !== undefined && (!Number.isSafeInteger(startTimestamp) || startTimestamp < 0 || options.startOffset !== undefined)) {
    throw new ConstructionError(`readFromKafka: startTimestamp must be an instant (ms since the epoch, >= 0), instead of startOffset; got ${JSON.stringify(startTimestamp)}.`);
  }
  const maxRecords = options.maxRecords === undefined ? undefined : nonNegative("maxRecords", options.maxRecords, 0);
  const maxReadTime = options.maxReadTime === undefined ? undefined : nonNegative("maxReadTime", options.maxReadTime, 0);
  const start = options.startOffset ?? "earliest";
  if (start !== "earliest" && start !== "latest" && !(Number.isSafeInteger(start) && start >= 0)) {
    throw new ConstructionError(`readFromKafka: startOffset must be "earliest", "latest" or an offset >= 0, got ${JSON.stringify(start)}.`);
  }
  const stop = options.stopOffset;
  if (stop !== undefined && stop !== "latest" && !(Number.isSafeInteger(stop) && stop >= 0)) {
    throw new ConstructionError(`readFromKafka: stopOffset must be "latest" or an offset >= 0, got ${JSON.stringify(stop)}.`);
  }
  const policy = options.timestampPolicy ?? "logAppendTime";
  if (typeof policy === "object" && (typeof policy.timestampFn !== "function" || !(policy.maxDelayMs >= 0))) {
    throw new ConstructionError("readFromKafka: a custom timestampPolicy needs { timestampFn: (record) => instant, maxDelayMs: >= 0 }.");
  }
  const keyFormat = options.keyDeserializer ?? "bytes";
  const valueFormat = options.valueDeserializer ?? "bytes";
  checkFormat("readFromKafka", keyFormat);
  checkFormat("readFromKafka", valueFormat);
  const group = options.commitOffsetsInFinalize?.groupId;
  if (options.commitOffsetsInFinalize !== undefined && (typeof group !== "string" || group === "")) {
    throw new ConstructionError("readFromKafka: commitOffsetsInFinalize needs { groupId }, the consumer group to commit the offsets to.");
  }
  const idleLagMs = nonNegative("idleLagMs", options.idleLagMs, 1000);
  return new ReadFromKafka<K, V>({
    listing: {
      connection,
      readCommitted: options.withReadCommitted === true,
      topics: pattern ?? [...options.topics!],
      startOffset: start,
      startTimestamp,
      stopOffset: stop,
      maxRecords,
      maxReadTime,
    },
    bounded: stop !== undefined || maxRecords !== undefined || maxReadTime !== undefined,
    discoveryIntervalMs: nonNegative("partitionDiscoveryIntervalMs", options.partitionDiscoveryIntervalMs, 30_000),
    keyFormat: keyFormat as Deserializing<unknown>,
    valueFormat: valueFormat as Deserializing<unknown>,
    partitionRead: {
      connection,
      readCommitted: options.withReadCommitted === true,
      timestampPolicy: policy,
      pollMs: nonNegative("pollMs", configured("pollMs", options.pollMs, consumerConfig.maxWaitTime, "fetch.max.wait.ms"), 500),
      maxBytesPerFetch: nonNegative("maxBytesPerFetch", configured("maxBytesPerFetch", options.maxBytesPerFetch, consumerConfig.maxBytes, "fetch.max.bytes"), 1 << 20),
      minBytesPerFetch: consumerConfig.minBytes ?? 1,
      idleLagMs,
      idleTimeoutMs: nonNegative("idleTimeoutMs", options.idleTimeoutMs, 0),
      commitGroup: group,
    },
  });
}

class ReadFromKafka<K, V> extends PTransform<PBegin, WithFailures<PCollection<KafkaRecord<K, V>>>> {
  constructor(private readonly settings: ReadSettings) {
    super("ReadFromKafka");
  }
  expand(input: PBegin): WithFailures<PCollection<KafkaRecord<K, V>>> {
    const prefix = input.pipeline.currentLabel();
    const { bounded, discoveryIntervalMs, listing } = this.settings;
    const impulsed = input.apply("Impulse", impulse());
    // An unbounded read watches for partitions added while it runs; a bounded one lists once.
    const partitions =
      bounded || discoveryIntervalMs === 0
        ? impulsed.apply("ListPartitions", parDo(new ListPartitionsFn(listing, `${prefix}/ListPartitions`)))
        : impulsed.apply("WatchPartitions", splittableParDo(new WatchPartitionsFn(listing, `${prefix}/WatchPartitions`, discoveryIntervalMs, this.settings.partitionRead.idleLagMs), { unbounded: true }));
    const raw = partitions
      .withCoder(jsValueCoder as Coder<KafkaPartitionDescriptor>)
      .apply("Read", splittableParDo(new ReadPartitionFn(this.settings.partitionRead, `${prefix}/Read`), { unbounded: !bounded }))
      .withCoder(jsValueCoder as Coder<RawKafkaRecord>);
    const fn = new DeserializeFn<K, V>(
      deserializerOf("readFromKafka", this.settings.keyFormat) as KafkaDeserializer<K>,
      deserializerOf("readFromKafka", this.settings.valueFormat) as KafkaDeserializer<V>,
      `${prefix}/Deserialize`,
    );
    const parsed = raw.apply("Deserialize", parDo<RawKafkaRecord, KafkaRecord<K, V>, { failures: BadRecord }>(fn, { outputs: ["failures"] }));
    return { output: parsed.main.withCoder(jsValueCoder as Coder<KafkaRecord<K, V>>), failures: parsed.failures } as WithFailures<PCollection<KafkaRecord<K, V>>>;
  }
}

/**
 * Lists the partitions of the topics and resolves each one's start and stop offsets, once
 * at job start (a restored job keeps the partitions and positions of its checkpoint).
 */
class ListPartitionsFn implements DoFn<Uint8Array, KafkaPartitionDescriptor> {
  constructor(
    readonly settings: ListingSettings,
    readonly step: string,
  ) {}

  async process(_impulse: Uint8Array, ctx: ProcessContext<KafkaPartitionDescriptor>): Promise<void> {
    const connection = this.settings.connection;
    const kafka = await loadKafkaModule(this.step);
    const options = clientOptions(connection, "lister");
    const consumer = new kafka.Consumer({ ...options, groupId: `beam-ts-lister-${process.pid}` });
    const admin = new kafka.Admin(options);
    try {
      const keys = await currentPartitions(consumer, admin, this.settings, this.step);
      for (const d of await describePartitions(consumer, this.settings, keys, true, Date.now())) ctx.output(d);
    } catch (err) {
      if (err instanceof KafkaIOError) throw err;
      throw unreachable(this.step, connection, "list the partitions to read", err);
    } finally {
      await Promise.allSettled([consumer.close(), admin.close()]);
    }
  }
}

/** Deserializes each raw record; a record the deserializers reject goes to `failures` whole. */
class DeserializeFn<K, V> implements DoFn<RawKafkaRecord, KafkaRecord<K, V>, { failures: BadRecord }> {
  constructor(
    readonly key: KafkaDeserializer<K>,
    readonly value: KafkaDeserializer<V>,
    readonly step: string,
  ) {}

  /** Avro (de)serializers load their library and parse their schema here. */
  async setup(): Promise<void> {
    await Promise.all([prepareSerde(this.key, this.step), prepareSerde(this.value, this.step)]);
  }

  process(r: RawKafkaRecord, ctx: ProcessContext<KafkaRecord<K, V>, { failures: BadRecord }>): void {
    let part = "key";
    try {
      const key = r.key === null ? null : this.key(r.key);
      part = "value";
      const value = r.value === null ? null : this.value(r.value);
      ctx.output({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key, value, headers: r.headers });
    } catch (err) {
      ctx.outputTo("failures", {
        step: this.step,
        element: { preview: `${r.topic}-${r.partition}@${r.offset}`, encoded: encodeRaw(r), coder: jsValueCoder.urn },
        error: {
          type: err instanceof Error ? err.name : typeof err,
          message: messageOf(err),
          stack: err instanceof Error ? (err.stack ?? "") : "",
          description: `deserializing the ${part} of record ${r.offset} of ${r.topic}-${r.partition}`,
        },
        window: ctx.window.toString(),
        timestamp: ctx.timestamp,
        attempt: 1,
        failedAt: Date.now(),
      });
    }
  }
}

/** The raw record's bytes for a dead letter (js_value coder); undefined if even that fails. */
function encodeRaw(r: RawKafkaRecord): Uint8Array | undefined {
  try {
    return encodeToBytes(jsValueCoder, r);
  } catch {
    return undefined;
  }
}
