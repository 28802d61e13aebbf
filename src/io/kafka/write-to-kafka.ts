import { ConstructionError, type Duration } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, twoPhaseCommitWrite, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { clientOptions, loadKafkaModule, resolveKafkaConnection, unreachable, type KafkaConnection, type KafkaModule, type ResolvedKafkaConnection } from "./kafka-connection.js";
import type { KafkaHeader } from "./kafka-record.js";
import { serializerOf, type KafkaFormat, type KafkaSerializer } from "./serde.js";
import { KafkaTransactionalSink } from "./transactional-sink.js";

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
  readonly topic: string;
  /** Default "bytes". */
  readonly keySerializer?: KafkaFormat | KafkaSerializer<K>;
  /** Default "bytes". */
  readonly valueSerializer?: KafkaFormat | KafkaSerializer<V>;
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
}

/** Checked options, shared by both writers. */
export interface WriteSettings<K, V> {
  readonly connection: ResolvedKafkaConnection;
  readonly topic: string;
  readonly key: KafkaSerializer<K>;
  readonly value: KafkaSerializer<V>;
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
  return {
    topic: s.topic,
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
  const connection = resolveKafkaConnection("writeToKafka", options);
  if (typeof options.topic !== "string" || options.topic === "") throw new ConstructionError(`writeToKafka: topic must be a topic name, got ${JSON.stringify(options.topic)}.`);
  const settings: WriteSettings<K, V> = {
    connection,
    topic: options.topic,
    key: serializerOf("writeToKafka", options.keySerializer ?? "bytes") as KafkaSerializer<K>,
    value: serializerOf("writeToKafka", options.valueSerializer ?? "bytes") as KafkaSerializer<V>,
  };
  const maxPending = options.maxPendingTransactions ?? 16;
  if (!Number.isSafeInteger(maxPending) || maxPending < 1) throw new ConstructionError(`writeToKafka: maxPendingTransactions must be an integer >= 1, got ${String(maxPending)}.`);
  const timeout = options.transactionTimeoutMs ?? 900_000;
  if (!Number.isSafeInteger(timeout) || timeout < 1000) throw new ConstructionError(`writeToKafka: transactionTimeoutMs must be an integer >= 1000, got ${String(timeout)}.`);
  return new WriteToKafka(settings, options.exactlyOnce === true ? { prefix: options.transactionalIdPrefix ?? `beam-ts-${options.topic}`, maxPending, timeout } : undefined);
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
    return input.apply("Write", twoPhaseCommitWrite(new KafkaTransactionalSink(this.settings, step, prefix, maxPending, timeout)));
  }
}

type Producer = InstanceType<KafkaModule["Producer"]>;

/** The at-least-once writer: an idempotent producer per instance; a bundle waits for its acks. */
class IdempotentWriteFn<K, V> implements DoFn<KafkaWriteRecord<K, V>, never> {
  private producer: Producer | undefined;
  private pending: SerializedRecord[] = [];

  constructor(
    readonly settings: WriteSettings<K, V>,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    const kafka = await loadKafkaModule(this.step);
    this.producer = new kafka.Producer({ ...clientOptions(this.settings.connection, "writer"), idempotent: true, acks: -1 });
  }

  startBundle(): void {
    this.pending = [];
  }

  async process(r: KafkaWriteRecord<K, V>, _ctx: ProcessContext<never>): Promise<void> {
    this.pending.push(serializeRecord(this.settings, r));
    if (this.pending.length >= 500) await this.flush();
  }

  async finishBundle(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    const messages = this.pending;
    this.pending = [];
    if (messages.length === 0) return;
    try {
      await this.producer!.send({ messages: messages.map((m) => ({ ...m })) });
    } catch (err) {
      throw unreachable(this.step, this.settings.connection, `write ${messages.length} records to topic ${JSON.stringify(this.settings.topic)}`, err);
    }
  }

  async teardown(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close().catch(() => undefined);
  }
}
