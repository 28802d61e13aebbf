import { encodeToBytes, jsValueCoder } from "../../coders/index.js";
import { ConstructionError, type Coder, type Duration } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { impulse, parDo, splittableParDo, type BadRecord, type DoFn, type ProcessContext, type WithFailures } from "../../transforms/index.js";
import { clientOptions, loadKafkaModule, resolveKafkaConnection, unreachable, type KafkaConnection, type ResolvedKafkaConnection } from "./kafka-connection.js";
import { KafkaIOError, messageOf } from "./kafka-io-error.js";
import type { KafkaRecord, RawKafkaRecord } from "./kafka-record.js";
import type { KafkaTimestampPolicy } from "./kafka-watermark.js";
import { ReadPartitionFn, type KafkaPartitionDescriptor, type PartitionReadSettings } from "./read-partition-fn.js";
import { deserializerOf, type KafkaDeserializer, type KafkaFormat } from "./serde.js";

/** Where a read starts in each partition: its first or next offset at job start, or an offset. */
export type KafkaStartOffset = "earliest" | "latest" | number;

/** Options of readFromKafka. */
export interface ReadFromKafkaOptions<K, V> extends KafkaConnection {
  /** Topics to read: every partition of each, as found when the job starts. */
  readonly topics: readonly string[];
  /** Default "earliest". A number is an offset in every partition (clamped by the broker's range check: out of range fails). */
  readonly startOffset?: KafkaStartOffset;
  /**
   * Makes the read bounded: "latest" stops at each partition's end offset when the job
   * started (its last stable offset with withReadCommitted); a number stops before that
   * offset in every partition. Undefined: unbounded.
   */
  readonly stopOffset?: "latest" | number;
  /** Default "bytes" (Uint8Array). "string" and "json" are strict: bytes they cannot read are dead letters. */
  readonly keyDeserializer?: KafkaFormat | KafkaDeserializer<K>;
  readonly valueDeserializer?: KafkaFormat | KafkaDeserializer<V>;
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
  /** Bytes per fetch. Default 1 MiB. */
  readonly maxBytesPerFetch?: number;
}

interface ReadSettings {
  readonly partitionRead: PartitionReadSettings;
  readonly topics: readonly string[];
  readonly startOffset: KafkaStartOffset;
  readonly stopOffset: "latest" | number | undefined;
  readonly keyFormat: KafkaFormat | KafkaDeserializer<unknown>;
  readonly valueFormat: KafkaFormat | KafkaDeserializer<unknown>;
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
  const connection = resolveKafkaConnection("readFromKafka", options);
  if (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => typeof t !== "string" || t === "")) {
    throw new ConstructionError(`readFromKafka: topics must be a non-empty array of topic names, got ${JSON.stringify(options.topics)}.`);
  }
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
  deserializerOf("readFromKafka", keyFormat);
  deserializerOf("readFromKafka", valueFormat);
  const group = options.commitOffsetsInFinalize?.groupId;
  if (options.commitOffsetsInFinalize !== undefined && (typeof group !== "string" || group === "")) {
    throw new ConstructionError("readFromKafka: commitOffsetsInFinalize needs { groupId }, the consumer group to commit the offsets to.");
  }
  return new ReadFromKafka<K, V>({
    topics: [...options.topics],
    startOffset: start,
    stopOffset: stop,
    keyFormat: keyFormat as KafkaFormat | KafkaDeserializer<unknown>,
    valueFormat: valueFormat as KafkaFormat | KafkaDeserializer<unknown>,
    partitionRead: {
      connection,
      readCommitted: options.withReadCommitted === true,
      timestampPolicy: policy,
      pollMs: nonNegative("pollMs", options.pollMs, 500),
      maxBytesPerFetch: nonNegative("maxBytesPerFetch", options.maxBytesPerFetch, 1 << 20),
      idleLagMs: nonNegative("idleLagMs", options.idleLagMs, 1000),
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
    const unbounded = this.settings.stopOffset === undefined;
    const raw = input
      .apply("Impulse", impulse())
      .apply("ListPartitions", parDo(new ListPartitionsFn(this.settings, `${prefix}/ListPartitions`)))
      .withCoder(jsValueCoder as Coder<KafkaPartitionDescriptor>)
      .apply("Read", splittableParDo(new ReadPartitionFn(this.settings.partitionRead, `${prefix}/Read`), { unbounded }))
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
    readonly settings: ReadSettings,
    readonly step: string,
  ) {}

  async process(_impulse: Uint8Array, ctx: ProcessContext<KafkaPartitionDescriptor>): Promise<void> {
    const connection: ResolvedKafkaConnection = this.settings.partitionRead.connection;
    const kafka = await loadKafkaModule(this.step);
    const consumer = new kafka.Consumer({ ...clientOptions(connection, "lister"), groupId: `beam-ts-lister-${process.pid}` });
    const isolationLevel = this.settings.partitionRead.readCommitted ? 1 : 0;
    const { topics, startOffset, stopOffset } = this.settings;
    try {
      const metadata = await consumer.metadata({ topics: [...topics] });
      const offsetsAt = async (timestamp: bigint) => consumer.listOffsets({ topics: [...topics], timestamp, isolationLevel });
      const earliest = startOffset === "earliest" ? await offsetsAt(-2n) : undefined;
      const latest = startOffset === "latest" || stopOffset === "latest" ? await offsetsAt(-1n) : undefined;
      for (const topic of topics) {
        const meta = metadata.topics.get(topic);
        if (meta === undefined) {
          throw new KafkaIOError(`"${this.step}": topic ${JSON.stringify(topic)} does not exist at ${connection.brokers.join(",")}. Create it, or fix the name.`, { retryable: false });
        }
        for (let partition = 0; partition < meta.partitionsCount; partition++) {
          const at = (offsets: Map<string, bigint[]> | undefined) => Number(offsets?.get(topic)?.[partition] ?? 0n);
          const from = startOffset === "earliest" ? at(earliest) : startOffset === "latest" ? at(latest) : startOffset;
          const to = stopOffset === undefined ? undefined : stopOffset === "latest" ? at(latest) : stopOffset;
          ctx.output({ topic, partition, startOffset: from, stopOffset: to === undefined ? undefined : Math.max(from, to) });
        }
      }
    } catch (err) {
      if (err instanceof KafkaIOError) throw err;
      throw unreachable(this.step, connection, `list the partitions of ${topics.join(", ")}`, err);
    } finally {
      await consumer.close().catch(() => undefined);
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
