// The exactly-once Kafka sink: one Kafka transaction per bundle, driven by
// twoPhaseCommitWrite. The design, and what it guarantees:
//
// - Transactional ids come from a small pool per step AND executor,
//   `<prefix>-<executor>-<slot>`, the executor being the index the runner shows the bundle
//   (TwoPhaseBeginContext.executor, Flink's subtask index). Executors never share an id, so
//   one never fences another's transaction; and a job restored from a checkpoint gives
//   executor i the index i again together with part i of the checkpoint: the pending
//   handles it commits and the pool it fences are exactly those of executor i of the
//   crashed run. Restored at a higher --parallelism, every old pool still has its executor;
//   at a lower one the pools of the executors that are gone could not be fenced, so the
//   runner refuses that restore (docs/FAULT_TOLERANCE.md, "rescaling"). A runner that shows no index (portable runners,
//   which commit at the end of the bundle anyway) gets a random executor name per sink
//   instance: no collisions, and nothing to recover.
// - A bundle takes a free slot and a NEW producer on it: its InitProducerId bumps the id's
//   epoch, which aborts whatever transaction an earlier producer left open on that id (a
//   zombie of a crashed job, fenced), and makes (producer id, epoch) name this one
//   transaction alone.
// - preCommit sends the bundle's records in the transaction and returns the handle
//   { transactionalId, producerId, producerEpoch }: durable in the broker, not visible to
//   read_committed consumers. Its slot stays reserved until the handle is committed, even
//   across a teardown (a failed bundle discards the DoFn instance): reusing the slot would
//   bump the epoch and abort a transaction that the next checkpoint will commit.
// - commit runs once the checkpoint covering the bundle is durable. In the same process it
//   is the producer's EndTxn; in a job restored from that checkpoint (recoverCommit), or
//   after a teardown closed the producer, the sink sends EndTxn(commit) itself with the
//   stored producer id and epoch, to the transaction coordinator (what Flink's KafkaSink
//   does through reflection into the Java producer; here the client's protocol API allows
//   it directly). EndTxn of a transaction already committed with that epoch succeeds again
//   (the coordinator treats it as a retry); a newer epoch on the id (the slot was reused
//   after the commit) answers PRODUCER_FENCED, which also means "committed before": a slot
//   is reused only after its commit, or by fencing, which runs after recovery.
// - A transaction that no checkpoint covers (its bundle ran after the last checkpoint
//   before a crash) is aborted when its slot is next used: the first bundle after a start
//   fences every slot of the executor's pool. Its records are replayed from the checkpoint.
// - Limits: the broker aborts a transaction after `transactionTimeoutMs`; a job down for
//   longer than that loses the transactions its last checkpoint had pending (the commit then
//   fails loudly with INVALID_TXN_STATE). More pending transactions than the pool holds
//   (bundles between two checkpoints) use ids beyond it, which are not fenced on restart:
//   their leftovers block read_committed readers until the timeout. So do the pools of
//   executors a job started afresh (no checkpoint) at a lower --parallelism than a crashed
//   run no longer has.
import { randomUUID } from "node:crypto";
import { jsValueCoder } from "../../coders/index.js";
import type { Coder } from "../../model/index.js";
import type { TwoPhaseBeginContext, TwoPhaseCommitSink } from "../../transforms/index.js";
import { clientOptions, loadKafkaModule, type KafkaModule } from "./kafka-connection.js";
import { KafkaIOError, messageOf } from "./kafka-io-error.js";
import { kafkaLineage } from "./kafka-lineage.js";
import { prepareSerde } from "./serde.js";
import { describeTopic, serializeRecord, type KafkaWriteRecord, type SerializedRecord, type WriteSettings } from "./write-to-kafka.js";

type Producer = InstanceType<KafkaModule["Producer"]>;
type Transaction = Awaited<ReturnType<Producer["beginTransaction"]>>;

/** A pre-committed transaction, stored in checkpoints: plain data for the js_value coder. */
export interface KafkaTxnHandle {
  readonly transactionalId: string;
  /** The producer id, as a bigint; -1n for a bundle that wrote nothing (no transaction). */
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** A bundle's open transaction. */
export interface KafkaTxn {
  readonly slot: number;
  readonly transactionalId: string;
  readonly records: SerializedRecord[];
}

interface LiveTxn {
  readonly producer: Producer;
  readonly txn: Transaction;
}

/**
 * What holds a slot of the pool: a bundle's open transaction, or a pre-committed one
 * awaiting its commit (with its producer while this instance still has it).
 */
type Reservation = { readonly state: "open" } | { readonly state: "pending"; readonly transactionalId: string; live: LiveTxn | undefined };

const EMPTY: KafkaTxnHandle = { transactionalId: "", producerId: -1n, producerEpoch: -1 };
/** Kafka protocol errors the recovery commit tells apart. */
const FENCED = new Set(["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"]);
const RETRY = new Set(["CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"]);

/** The protocol error names (apiId) inside a client error, however deeply nested. */
function protocolErrors(err: unknown, out: string[] = []): string[] {
  if (typeof err !== "object" || err === null) return out;
  const e = err as { apiId?: unknown; errors?: unknown };
  if (typeof e.apiId === "string") out.push(e.apiId);
  if (Array.isArray(e.errors)) for (const inner of e.errors) protocolErrors(inner, out);
  return out;
}

/**
 * The transactional id of `slot` in the pool of executor `executor`: `<prefix>-<executor>-<slot>`.
 * Exported for tests, which play a crashed run's zombie on it.
 */
export function transactionalIdOf(prefix: string, executor: number | string, slot: number): string {
  return `${prefix}-${executor}-${slot}`;
}

/**
 * The TwoPhaseCommitSink of writeToKafka({ exactlyOnce: true }). One object per executor
 * (each worker thread rebuilds the pipeline), shared by the DoFn instances that executor
 * makes one after another: the pool's reservations outlive an instance's teardown.
 */
export class KafkaTransactionalSink<K, V> implements TwoPhaseCommitSink<KafkaWriteRecord<K, V>, KafkaTxn, KafkaTxnHandle> {
  readonly handleCoder = jsValueCoder as Coder<KafkaTxnHandle>;
  /** Slot → what holds it. */
  private readonly slots = new Map<number, Reservation>();
  private fenced = false;
  /** Whether the serializers are ready (Avro loads its library first). */
  private prepared = false;
  /** The executor's name in the ids: its index, or a random name where the runner shows none. */
  private executor: number | string | undefined;

  constructor(
    readonly settings: WriteSettings<K, V>,
    readonly step: string,
    readonly prefix: string,
    readonly maxPending: number,
    readonly transactionTimeoutMs: number,
  ) {}

  async begin(ctx: TwoPhaseBeginContext): Promise<KafkaTxn> {
    if (!this.prepared) {
      await Promise.all([prepareSerde(this.settings.key, this.step), prepareSerde(this.settings.value, this.step)]);
      this.prepared = true;
    }
    this.executor ??= ctx.executor?.index ?? randomUUID().slice(0, 8);
    let slot = 0;
    while (this.slots.has(slot)) slot++;
    this.slots.set(slot, { state: "open" });
    return { slot, transactionalId: transactionalIdOf(this.prefix, this.executor, slot), records: [] };
  }

  write(txn: KafkaTxn, element: KafkaWriteRecord<K, V>): void {
    const record = serializeRecord(this.settings, element);
    // Reported per record (a string set keeps each topic once): with topicFn each names its own.
    kafkaLineage("sinks", this.settings.connection, record.topic);
    txn.records.push(record);
  }

  async preCommit(txn: KafkaTxn): Promise<KafkaTxnHandle> {
    await this.fenceOnce();
    if (txn.records.length === 0) {
      this.slots.delete(txn.slot);
      return EMPTY;
    }
    const producer = await this.producer(txn.transactionalId);
    try {
      const t = await producer.beginTransaction();
      await t.send({ messages: txn.records.map((m) => ({ ...m })) });
      const handle: KafkaTxnHandle = { transactionalId: txn.transactionalId, producerId: producer.producerId!, producerEpoch: producer.producerEpoch! };
      this.slots.set(txn.slot, { state: "pending", transactionalId: txn.transactionalId, live: { producer, txn: t } });
      return handle;
    } catch (err) {
      await producer.close().catch(() => undefined);
      throw new KafkaIOError(`"${this.step}" could not write a transaction of ${txn.records.length} records to ${describeTopic(this.settings)}: ${messageOf(err)}. The bundle is retried.`, {
        cause: err,
      });
    }
  }

  async commit(handle: KafkaTxnHandle): Promise<void> {
    if (handle.producerId < 0n) return;
    const [slot, held] = this.pendingOf(handle.transactionalId);
    const live = held?.live;
    let committed = false;
    if (live !== undefined && live.producer.producerEpoch === handle.producerEpoch && !live.txn.completed) {
      try {
        await live.txn.commit();
        committed = true;
      } catch (err) {
        await live.producer.close().catch(() => undefined);
        // Fenced while this instance still held the open transaction: another producer took
        // the id (another job or step with the same transactional ids), and it aborted ours.
        if (protocolErrors(err).some((c) => FENCED.has(c))) {
          throw new KafkaIOError(
            `"${this.step}": transaction ${handle.transactionalId} was aborted by another producer using the same transactional id before its commit: its records are lost from ${describeTopic(this.settings)}. ` +
              `Give every exactly-once writeToKafka of every job its own transactionalIdPrefix.`,
            { cause: err, retryable: false },
          );
        }
        // Anything else (the coordinator moved, a connection dropped): commit by protocol, which retries.
      }
      await live.producer.close().catch(() => undefined);
    }
    if (!committed) await this.commitByProtocol(handle);
    if (slot !== undefined) this.slots.delete(slot);
  }

  /** A bundle attempt failed before preCommit returned: nothing was sent, or its producer is closed (the broker aborts it on the slot's next use). */
  abort(txn: KafkaTxn): void {
    if (this.slots.get(txn.slot)?.state === "open") this.slots.delete(txn.slot);
  }

  async teardown(): Promise<void> {
    // Pre-committed transactions stay open in the broker and keep their slots: commit (later
    // in this run, or by a restored job) finishes them by handle, without the producer.
    const producers: Producer[] = [];
    for (const [slot, r] of this.slots) {
      if (r.state === "open") this.slots.delete(slot);
      else if (r.live !== undefined) {
        producers.push(r.live.producer);
        r.live = undefined;
      }
    }
    // Nothing awaits a commit: the next start (a rerun of this pipeline object) fences again.
    if (this.slots.size === 0) this.fenced = false;
    await Promise.allSettled(producers.map((p) => p.close()));
  }

  private pendingOf(transactionalId: string): [number | undefined, (Reservation & { state: "pending" }) | undefined] {
    for (const [slot, r] of this.slots) if (r.state === "pending" && r.transactionalId === transactionalId) return [slot, r];
    return [undefined, undefined];
  }

  private async producer(transactionalId: string): Promise<Producer> {
    const kafka = await loadKafkaModule(this.step);
    // `timeout` is also the transaction timeout the client asks of the broker in InitProducerId.
    // Producer id and epoch -1: a fresh InitProducerId that takes over the id whatever its
    // epoch (the client's default, 0/0, is refused as fenced once the epoch has moved on).
    const compression = this.settings.compression;
    return new kafka.Producer({
      ...clientOptions(this.settings.connection, "txn"),
      ...(compression === undefined ? {} : { compression }),
      idempotent: true,
      acks: -1,
      transactionalId,
      timeout: this.transactionTimeoutMs,
      producerId: -1n,
      producerEpoch: -1,
    });
  }

  /**
   * Aborts what a crashed run left open on this executor's ids: a new producer's
   * InitProducerId on each id bumps its epoch, which aborts an open transaction. Runs at the
   * first preCommit after a start, after the restored job's recovery commits.
   */
  private async fenceOnce(): Promise<void> {
    if (this.fenced) return;
    this.fenced = true;
    // Every slot but those whose transaction awaits its commit (the open bundle's producer comes after).
    const free = Array.from({ length: this.maxPending }, (_, slot) => slot).filter((slot) => this.slots.get(slot)?.state !== "pending");
    const executor = this.executor!;
    await Promise.all(
      free.map(async (slot) => {
        const p = await this.producer(transactionalIdOf(this.prefix, executor, slot));
        try {
          // beginTransaction sends InitProducerId with the transactional id (the fence); the
          // transaction itself never reaches the broker (no partition added), so cancel is local.
          const t = await p.beginTransaction();
          await t.cancel();
        } finally {
          await p.close().catch(() => undefined);
        }
      }),
    );
  }

  /** EndTxn(commit) with the stored producer id and epoch, to the id's transaction coordinator. */
  private async commitByProtocol(handle: KafkaTxnHandle): Promise<void> {
    const kafka = await loadKafkaModule(this.step);
    const options = clientOptions(this.settings.connection, "recover");
    const admin = new kafka.Admin(options);
    let connection: InstanceType<KafkaModule["Connection"]> | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const [coordinator] = await admin.findCoordinator({ keyType: 1, keys: [handle.transactionalId] });
          if (coordinator === undefined) throw new Error("no transaction coordinator found");
          connection = new kafka.Connection(options.clientId, { connectTimeout: options.connectTimeout, ...(options.tls ? { tls: options.tls } : {}), ...(options.sasl ? { sasl: options.sasl } : {}) });
          await connection.connect(coordinator.host, coordinator.port);
          await kafka.endTxnV4.api.async(connection, handle.transactionalId, handle.producerId, handle.producerEpoch, true);
          return;
        } catch (err) {
          const codes = protocolErrors(err);
          // A newer epoch on the id: the slot was reused after this transaction's commit.
          if (codes.some((c) => FENCED.has(c))) return;
          if (codes.includes("INVALID_TXN_STATE")) {
            throw new KafkaIOError(
              `"${this.step}": transaction ${handle.transactionalId} (producer ${handle.producerId}, epoch ${handle.producerEpoch}) that the checkpoint holds as pre-committed was aborted by the broker, ` +
                `most likely after transactionTimeoutMs (${this.transactionTimeoutMs} ms) passed while the job was down: its records are lost from ${describeTopic(this.settings)}. ` +
                `Restart sooner, or raise transactionTimeoutMs (and the broker's transaction.max.timeout.ms).`,
              { cause: err, retryable: false },
            );
          }
          if (attempt >= 40 || (codes.length > 0 && !codes.some((c) => RETRY.has(c)))) {
            throw new KafkaIOError(`"${this.step}" could not commit transaction ${handle.transactionalId} at ${options.bootstrapBrokers.join(",")}: ${messageOf(err)} (${codes.join(", ")}).`, { cause: err });
          }
          await new Promise((r) => setTimeout(r, 50 * Math.min(attempt + 1, 10)));
        } finally {
          await connection?.close().catch(() => undefined);
          connection = undefined;
        }
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}
