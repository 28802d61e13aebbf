import { ConstructionError, type Duration } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, twoPhaseCommitWrite, type DoFn, type DoFnMetrics, type FinishBundleContext, type ProcessContext } from "../../transforms/index.js";
import { clientOptions, loadKafkaModule, resolveKafkaConnection, unreachable, type KafkaClientTuning, type KafkaConnection, type KafkaModule, type ResolvedKafkaConnection } from "./kafka-connection.js";
import { resolveProducerConfig, type KafkaClientConfig } from "./kafka-client-config.js";
import type { KafkaHeader } from "./kafka-record.js";
import { kafkaLineage } from "./kafka-lineage.js";
import { prepareSerde, serializerOf, type KafkaAvroFormat, type KafkaFormat, type KafkaSerializer } from "./serde.js";
import { KafkaTransactionalSink } from "./transactional-sink.js";
import { OUTAGE_BUDGET_MS, OutageTracker, START_BUDGET_MS, isPermanentKafkaError } from "./broker-outage.js";

/** What writeToKafka writes: a value, and optionally a key, headers, a partition and a timestamp. */
export interface KafkaWriteRecord<K, V> {
  readonly key?: K | null;
  readonly value: V | null;
  readonly headers?: readonly KafkaHeader[];
  /** Default: the client's partitioner (murmur2 of the key, as Java's). */
  readonly partition?: number;
}

/** Options of writeToKafka. */
export interface WriteToKafkaOptions<K, V> extends KafkaConnection {
  /** The topic of every record; or give `topicFn`. */
  readonly topic?: string;
  /**
   * The topic of each record, computed from it (Beam's KafkaIO.writeRecords with a
   * ProducerRecord's topic); instead of `topic`. With exactlyOnce a bundle's transaction
   * spans every topic it writes to.
   */
  readonly topicFn?: (record: KafkaWriteRecord<K, V>) => string;
  /** Default "bytes". */
  readonly keySerializer?: KafkaFormat | KafkaSerializer<K> | KafkaAvroFormat;
  /** Default "bytes". */
  readonly valueSerializer?: KafkaFormat | KafkaSerializer<V> | KafkaAvroFormat;
  /**
   * Transactional writes committed only once a checkpoint covering them is durable (see
   * docs/IO.md, "Kafka"). Default false: an idempotent producer, at-least-once.
   */
  readonly exactlyOnce?: boolean;
  /**
   * Exactly-once only: the prefix of the transactional ids; keep it stable across restarts
   * of the same job and unique among jobs (ids of a restarted job fence the crashed one's).
   * Default `beam-ts-<topic>`.
   */
  readonly transactionalIdPrefix?: string;
  /** Exactly-once only: the transaction timeout asked of the broker (ms). Default 900000 (the broker's default maximum). */
  readonly transactionTimeoutMs?: Duration;
  /** Exactly-once only: transactional ids kept per instance, and fenced on restart. Default 16. */
  readonly maxPendingTransactions?: number;
  /**
   * Settings of the Kafka client, as Beam's `withProducerConfigUpdates`: Java producer
   * property names (`compression.type`: none, gzip, snappy, lz4, or zstd on Node 22.15+;
   * `request.timeout.ms`, `retries`, `retry.backoff.ms`, `metadata.max.age.ms`) or the
   * client's names of them. What the connector decides itself (`acks`, idempotence,
   * transactional ids, serializers, servers, TLS, SASL) and what the client has no equivalent
   * for (`linger.ms`, `batch.size`: bundles are the batches) are refused when the pipeline is
   * built, naming the option to use instead.
   *
   * @example producerConfig: { "compression.type": "lz4" }
   */
  readonly producerConfig?: KafkaClientConfig;
}

/** Checked options, shared by both writers. */
export interface WriteSettings<K, V> {
  readonly connection: ResolvedKafkaConnection;
  /** A fixed topic, or the record's own. */
  readonly topic: string | ((record: KafkaWriteRecord<K, V>) => string);
  readonly key: KafkaSerializer<K>;
  readonly value: KafkaSerializer<V>;
  /** producerConfig's compression.type; undefined: none. */
  readonly compression: "none" | "gzip" | "snappy" | "lz4" | "zstd" | undefined;
}

/** A record serialized for the client. */
export interface SerializedRecord {
  readonly topic: string;
  readonly key?: Buffer;
  readonly value?: Buffer;
  readonly partition?: number;
  readonly headers?: Map<Buffer, Buffer>;
}

/** Serializes an element for the client (Buffers, as it sends them). */
export function serializeRecord<K, V>(s: WriteSettings<K, V>, r: KafkaWriteRecord<K, V>): SerializedRecord {
  const toBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const headers = r.headers === undefined || r.headers.length === 0 ? undefined : new Map(r.headers.map((h) => [Buffer.from(h.key, "utf8"), h.value === null ? Buffer.alloc(0) : toBuffer(h.value)]));
  const topic = typeof s.topic === "string" ? s.topic : s.topic(r);
  if (typeof topic !== "string" || topic === "") throw new TypeError(`topicFn returned ${JSON.stringify(topic)} for a record; it must return a topic name`);
  return {
    topic,
    ...(r.key === undefined || r.key === null ? {} : { key: toBuffer(s.key(r.key)) }),
    ...(r.value === null ? {} : { value: toBuffer(s.value(r.value)) }),
    ...(r.partition === undefined ? {} : { partition: r.partition }),
    ...(headers === undefined ? {} : { headers }),
  };
}

/**
 * Writes records to a Kafka topic (Beam's KafkaIO.write). By default through an idempotent
 * producer (the broker drops the client's own retries), each bundle's records sent and
 * acknowledged (acks=all) before the bundle commits: at-least-once, a retried bundle sends
 * its records again. With `exactlyOnce`, each bundle is one Kafka transaction committed
 * only after the checkpoint covering it is durable: read_committed consumers see every
 * record once across failures and restores. See docs/IO.md, "Kafka".
 *
 * @example orders.apply(map((o: Order) => ({ key: o.id, value: o }))).apply(writeToKafka({ bootstrapServers: "127.0.0.1:9092", topic: "orders", keySerializer: "string", valueSerializer: "json" }))
 */
export function writeToKafka<K = Uint8Array, V = Uint8Array>(options: WriteToKafkaOptions<K, V>): PTransform<PCollection<KafkaWriteRecord<K, V>>, PCollection<never>> {
  if (typeof options !== "object" || options === null) throw new ConstructionError("writeToKafka needs options: { bootstrapServers, topic, keySerializer, valueSerializer }.");
  const producerConfig = resolveProducerConfig("writeToKafka", options.producerConfig);
  const { compression, ...tuning } = producerConfig.client;
  if (options.exactlyOnce === true && tuning["timeout"] !== undefined) {
    throw new ConstructionError("writeToKafka: with exactlyOnce the client's request timeout is the transaction timeout; set transactionTimeoutMs instead of producerConfig's request.timeout.ms.");
  }
  const connection = { ...resolveKafkaConnection("writeToKafka", options), tuning: tuning as KafkaClientTuning };
  const { topic, topicFn } = options;
  if (topicFn !== undefined && (typeof topicFn !== "function" || topic !== undefined)) {
    throw new ConstructionError("writeToKafka: give either topic (a name) or topicFn (a function of the record to its topic), not both.");
  }
  if (topicFn === undefined && (typeof topic !== "string" || topic === "")) throw new ConstructionError(`writeToKafka: topic must be a topic name (or give topicFn), got ${JSON.stringify(topic)}.`);
  const settings: WriteSettings<K, V> = {
    connection,
    topic: topicFn ?? topic!,
    key: serializerOf("writeToKafka", options.keySerializer ?? "bytes") as KafkaSerializer<K>,
    value: serializerOf("writeToKafka", options.valueSerializer ?? "bytes") as KafkaSerializer<V>,
    compression: compression as WriteSettings<K, V>["compression"],
  };
  const maxPending = options.maxPendingTransactions ?? 16;
  if (!Number.isSafeInteger(maxPending) || maxPending < 1) throw new ConstructionError(`writeToKafka: maxPendingTransactions must be an integer >= 1, got ${String(maxPending)}.`);
  const timeout = options.transactionTimeoutMs ?? 900_000;
  if (!Number.isSafeInteger(timeout) || timeout < 1000) throw new ConstructionError(`writeToKafka: transactionTimeoutMs must be an integer >= 1000, got ${String(timeout)}.`);
  return new WriteToKafka(settings, options.exactlyOnce === true ? { prefix: options.transactionalIdPrefix ?? defaultPrefix(topic), maxPending, timeout } : undefined);
}

class WriteToKafka<K, V> extends PTransform<PCollection<KafkaWriteRecord<K, V>>, PCollection<never>> {
  constructor(
    private readonly settings: WriteSettings<K, V>,
    private readonly exactlyOnce: { prefix: string; maxPending: number; timeout: number } | undefined,
  ) {
    super("WriteToKafka");
  }
  expand(input: PCollection<KafkaWriteRecord<K, V>>): PCollection<never> {
    const step = `${input.pipeline.currentLabel()}/Write`;
    if (this.exactlyOnce === undefined) return input.apply("Write", parDo(new IdempotentWriteFn(this.settings, step)));
    const { prefix, maxPending, timeout } = this.exactlyOnce;
    claimPrefix(input.pipeline, prefix, step);
    return input.apply("Write", twoPhaseCommitWrite(new KafkaTransactionalSink(this.settings, step, prefix, maxPending, timeout)));
  }
}

/** How messages name where a writer writes. */
export function describeTopic<K, V>(s: WriteSettings<K, V>): string {
  return typeof s.topic === "string" ? `topic ${JSON.stringify(s.topic)}` : "the topics of topicFn";
}

/** The default transactional id prefix: the topic's, or (topicFn) one a pipeline should replace. */
function defaultPrefix(topic: string | undefined): string {
  if (topic === undefined) {
    throw new ConstructionError("writeToKafka: exactlyOnce with topicFn needs a transactionalIdPrefix (stable across restarts, unique among jobs).");
  }
  return `beam-ts-${topic}`;
}

/** Transactional id prefixes taken in each pipeline, by step. */
const prefixes = new WeakMap<object, Map<string, string>>();

/**
 * Two exactly-once writes with one prefix would share transactional ids, and each would
 * abort the other's open transactions (fencing): refused when the second is applied.
 */
function claimPrefix(pipeline: object, prefix: string, step: string): void {
  let taken = prefixes.get(pipeline);
  if (taken === undefined) prefixes.set(pipeline, (taken = new Map()));
  const other = taken.get(prefix);
  if (other !== undefined && other !== step) {
    throw new ConstructionError(
      `writeToKafka "${step}": transactionalIdPrefix ${JSON.stringify(prefix)} is already used by "${other}"; two exactly-once writes with one prefix abort each other's transactions. Give each its own transactionalIdPrefix.`,
    );
  }
  taken.set(prefix, step);
}

type Producer = InstanceType<KafkaModule["Producer"]>;

/** Steps (full label and brokers) whose idempotent writer reached the cluster in this process. */
const reachedSteps = new Set<string>();

/** The at-least-once writer: an idempotent producer per instance; a bundle waits for its acks. */
class IdempotentWriteFn<K, V> implements DoFn<KafkaWriteRecord<K, V>, never> {
  private producer: Producer | undefined;
  private pending: SerializedRecord[] = [];
  /**
   * Consecutive sends that could not reach the cluster: ridden out for the outage budget
   * once a send of this step in this process succeeded, but only for the start budget (or
   * the connect timeout, if longer) before that, so a broker down at start fails the job
   * soon while an instance created during an outage still rides it out.
   */
  private outage: OutageTracker;
  /** The last send of this bundle; each waits for the one before. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    readonly settings: WriteSettings<K, V>,
    readonly step: string,
  ) {
    this.outage = this.newOutageTracker();
  }

  private newOutageTracker(): OutageTracker {
    return new OutageTracker(OUTAGE_BUDGET_MS, Math.max(START_BUDGET_MS, this.settings.connection.connectTimeoutMs), reachedSteps.has(this.reachKey()));
  }

  /** The step and its brokers: another job's step of the same name elsewhere is not this one. */
  private reachKey(): string {
    return `${this.step}@${this.settings.connection.brokers.join(",")}`;
  }

  async setup(): Promise<void> {
    await Promise.all([prepareSerde(this.settings.key, this.step), prepareSerde(this.settings.value, this.step)]);
    this.outage = this.newOutageTracker();
    const kafka = await loadKafkaModule(this.step);
    const compression = this.settings.compression;
    this.producer = new kafka.Producer({ ...clientOptions(this.settings.connection, "writer"), idempotent: true, acks: -1, ...(compression === undefined ? {} : { compression }) });
  }

  startBundle(): void {
    this.pending = [];
    this.sending = Promise.resolve();
    if (typeof this.settings.topic === "string") kafkaLineage("sinks", this.settings.connection, this.settings.topic);
  }

  async process(r: KafkaWriteRecord<K, V>, ctx: ProcessContext<never>): Promise<void> {
    const record = serializeRecord(this.settings, r);
    // topicFn: each record names its topic, so lineage is per record (a set: once per topic).
    if (typeof this.settings.topic !== "string") kafkaLineage("sinks", this.settings.connection, record.topic);
    this.pending.push(record);
    if (this.pending.length >= 500) await this.flush(ctx.metrics);
  }

  async finishBundle(ctx: FinishBundleContext<never>): Promise<void> {
    await this.flush(ctx.metrics);
  }

  /**
   * Sends what is pending after the previous send: `process` is async, so several calls may
   * flush at once, and an idempotent producer's sends to one partition must not overlap
   * (the broker refuses a sequence number out of order).
   */
  private flush(metrics: DoFnMetrics): Promise<void> {
    const messages = this.pending;
    this.pending = [];
    if (messages.length === 0) return this.sending;
    const send = async () => {
      for (;;) {
        try {
          await this.producer!.send({ messages: messages.map((m) => ({ ...m })) });
          this.outage.succeeded(metrics);
          reachedSteps.add(this.reachKey());
          return;
        } catch (err) {
          // The broker went away: send again after a backoff (at-least-once: the failed send
          // may have been written), until the outage budget is spent.
          const budget = this.outage.currentBudgetMs;
          const retryIn = isPermanentKafkaError(err) ? undefined : this.outage.failed(metrics);
          if (retryIn === undefined) {
            const tried = isPermanentKafkaError(err) ? "" : ` (tried for ${budget / 1000} s)`;
            throw unreachable(this.step, this.settings.connection, `write ${messages.length} records to ${describeTopic(this.settings)}${tried}`, err);
          }
          await new Promise((resolve) => setTimeout(resolve, retryIn));
        }
      }
    };
    this.sending = this.sending.then(send, send);
    return this.sending;
  }

  async teardown(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close().catch(() => undefined);
  }
}
