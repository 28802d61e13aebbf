import { MIN_TIMESTAMP, type Duration } from "../../model/index.js";
import {
  GrowableOffsetRangeTracker,
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  UNBOUNDED_OFFSET,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { committedBatches } from "./committed-records.js";
import { clientOptions, loadKafkaModule, unreachable, type KafkaModule, type ResolvedKafkaConnection } from "./kafka-connection.js";
import { KafkaIOError } from "./kafka-io-error.js";
import { OUTAGE_BUDGET_MS, OutageTracker, isPermanentKafkaError } from "./broker-outage.js";
import { kafkaLineage } from "./kafka-lineage.js";
import { UnreadablePartition, isUnreadablePartitionCode } from "./unreadable-partition.js";
import type { KafkaHeader, RawKafkaRecord } from "./kafka-record.js";
import { PartitionWatermarkEstimator, type KafkaTimestampPolicy, type PartitionWatermarkState } from "./kafka-watermark.js";

/**
 * One topic-partition to read, with the offsets resolved when the job started (Beam
 * KafkaIO's KafkaSourceDescriptor): plain data, so the runner's coders and checkpoints keep it.
 */
export interface KafkaPartitionDescriptor {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  /** Exclusive end for a bounded read; undefined reads for ever. */
  readonly stopOffset: number | undefined;
  /** maxReadTime: the read of the partition ends at this wall-clock instant (ms since the epoch). */
  readonly readUntil?: number;
}

/** What the partition reader needs, checked at construction. */
export interface PartitionReadSettings {
  readonly connection: ResolvedKafkaConnection;
  readonly readCommitted: boolean;
  readonly timestampPolicy: KafkaTimestampPolicy;
  /** Fetch wait (ms) when no data is ready: how long a `process` call waits for new records. */
  readonly pollMs: Duration;
  /** Bytes per partition and fetch. */
  readonly maxBytesPerFetch: number;
  /** Bytes a fetch waits for, up to pollMs (consumerConfig's fetch.min.bytes; default 1). */
  readonly minBytesPerFetch: number;
  /** Lag of the idle watermark behind processing time (ms). */
  readonly idleLagMs: Duration;
  /** How long a partition is caught up before it counts as idle (ms). */
  readonly idleTimeoutMs: Duration;
  /** Commit the read offsets to this consumer group after each bundle commits; undefined: never. */
  readonly commitGroup: string | undefined;
}

/** Fetch error codes the reader tells apart (Kafka's protocol error codes). */
const OFFSET_OUT_OF_RANGE = 1;
/** Batch attribute bit 3: the batch's timestamps are the broker's log-append time. */
const LOG_APPEND_TIME = 0x08;
/** How long a registered offset commit stays valid: offsets are advisory (the checkpoint holds the position). */
const COMMIT_EXPIRY_MS = 5 * 60_000;

type Consumer = InstanceType<KafkaModule["Consumer"]>;
type Admin = InstanceType<KafkaModule["Admin"]>;

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** An offset commit to the consumer group, as a recovery of the checkpoint holds it (JSON). */
interface OffsetCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A partition's key in the end-offset map. */
const endKey = (d: KafkaPartitionDescriptor) => `${d.partition}:${d.topic}`;

/**
 * The splittable DoFn over one topic-partition: its restriction is an OffsetRange of the
 * partition's offsets, [start, stop) or [start, ∞), and each `process` call fetches from
 * the partition's leader at the restriction's start, claims and emits every record it
 * gets, and resumes (after `pollMs` of waiting in the broker when nothing was there). The
 * position is the restriction: a checkpoint stores it, and a restored job fetches from it.
 */
export class ReadPartitionFn implements SplittableDoFn<KafkaPartitionDescriptor, RawKafkaRecord, OffsetRange> {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private readonly maxDelay: Duration;
  /**
   * The end offset each partition had at its last fetch (its last stable offset with
   * read_committed): the backlog of an unbounded restriction is this less its position.
   */
  private readonly ends = new Map<string, number>();

  constructor(
    readonly settings: PartitionReadSettings,
    readonly step: string,
  ) {
    const policy = settings.timestampPolicy;
    this.maxDelay = typeof policy === "object" ? policy.maxDelayMs : 0;
  }

  /** Consecutive failures to reach the cluster, per partition. */
  private readonly outages = new Map<string, OutageTracker>();

  private outage(d: KafkaPartitionDescriptor): OutageTracker {
    const key = endKey(d);
    let tracker = this.outages.get(key);
    if (tracker === undefined) this.outages.set(key, (tracker = new OutageTracker()));
    return tracker;
  }

  /** How long each partition has been refusing fetches (leader moved, topic unknown). */
  private readonly unreadable = new Map<string, UnreadablePartition>();

  private unreadableFor(d: KafkaPartitionDescriptor): UnreadablePartition {
    const key = endKey(d);
    let tracker = this.unreadable.get(key);
    if (tracker === undefined) this.unreadable.set(key, (tracker = new UnreadablePartition()));
    return tracker;
  }

  async setup(): Promise<void> {
    const kafka = await loadKafkaModule(this.step, undefined);
    const options = clientOptions(this.settings.connection, "reader");
    // The client's consumer needs a group id; the reader never joins it (it fetches by offset).
    this.consumer = new kafka.Consumer({ ...options, groupId: this.settings.commitGroup ?? `beam-ts-reader-${process.pid}` });
    if (this.settings.commitGroup !== undefined) this.admin = new kafka.Admin(options);
  }

  getInitialRestriction(d: KafkaPartitionDescriptor): OffsetRange {
    return new OffsetRange(d.startOffset, d.stopOffset ?? UNBOUNDED_OFFSET);
  }
  newTracker(d: KafkaPartitionDescriptor, r: OffsetRange): OffsetRangeTracker {
    // The range's end estimate is the partition's end at the last fetch (unknown before one):
    // progress and splits see the backlog (Beam KafkaIO's KafkaLatestOffsetEstimator).
    const key = endKey(d);
    return r.to === UNBOUNDED_OFFSET ? new GrowableOffsetRangeTracker(r.from, () => this.ends.get(key) ?? Number.MIN_SAFE_INTEGER) : new OffsetRangeTracker(r);
  }
  /**
   * The backlog, in records (Beam's @GetSize counts bytes from the average record size): the
   * offsets left of a bounded range, or up to the partition's end at the last fetch.
   */
  getSize(d: KafkaPartitionDescriptor, r: OffsetRange): number {
    if (r.to !== UNBOUNDED_OFFSET) return Math.max(0, r.to - r.from);
    return Math.max(0, (this.ends.get(endKey(d)) ?? r.from) - r.from);
  }
  getInitialWatermarkState(): PartitionWatermarkState {
    return { watermark: MIN_TIMESTAMP, maxEventTime: MIN_TIMESTAMP };
  }
  newWatermarkEstimator(state: unknown): PartitionWatermarkEstimator {
    return new PartitionWatermarkEstimator(state as PartitionWatermarkState, this.maxDelay, this.settings.idleLagMs, this.settings.idleTimeoutMs);
  }
  /** Drain stops reading: unread records stay in the topic. */
  truncateRestriction(): undefined {
    return undefined;
  }

  async process(d: KafkaPartitionDescriptor, ctx: SplittableProcessContext<RawKafkaRecord, OffsetRange, number>): Promise<ProcessContinuation> {
    const consumer = this.consumer!;
    const tracker = ctx.tracker;
    const estimator = ctx.watermarkEstimator as PartitionWatermarkEstimator;
    const { from, to } = tracker.currentRestriction();
    if (from >= to) return ProcessContinuation.stop();
    // Each call reports its topic: a string set, so a bundle's repeated calls record it once.
    kafkaLineage("sources", this.settings.connection, d.topic);
    if (d.readUntil !== undefined && ctx.processingTime >= d.readUntil) {
      // maxReadTime is over: the rest of the partition is not read.
      tracker.tryClaim(to);
      return ProcessContinuation.stop();
    }
    let partition;
    try {
      const metadata = await consumer.metadata({ topics: [d.topic] });
      const topic = metadata.topics.get(d.topic);
      const leader = topic?.partitions[d.partition]?.leader;
      if (topic === undefined || leader === undefined || leader < 0) {
        throw new KafkaIOError(`"${this.step}": partition ${d.partition} of topic ${JSON.stringify(d.topic)} has no leader now; the bundle is retried.`);
      }
      const response = await consumer.fetch({
        node: leader,
        topics: [{ topicId: topic.id, partitions: [{ partition: d.partition, fetchOffset: BigInt(from), currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: this.settings.maxBytesPerFetch }] }],
        maxWaitTime: this.settings.pollMs,
        minBytes: this.settings.minBytesPerFetch,
        maxBytes: this.settings.maxBytesPerFetch,
        isolationLevel: this.settings.readCommitted ? 1 : 0,
      });
      partition = response.responses[0]?.partitions.find((p) => p.partitionIndex === d.partition);
    } catch (err) {
      if (err instanceof KafkaIOError) throw err;
      // The broker went away: keep the position and the watermark, and try again after a backoff.
      const retryIn = isPermanentKafkaError(err) ? undefined : this.outage(d).failed(ctx.metrics);
      if (retryIn !== undefined) return ProcessContinuation.resume(retryIn);
      throw unreachable(this.step, this.settings.connection, `fetch partition ${d.partition} of topic ${JSON.stringify(d.topic)} at offset ${from} (for ${OUTAGE_BUDGET_MS / 1000} s)`, err);
    }
    this.outage(d).succeeded(ctx.metrics);
    if (partition === undefined) return ProcessContinuation.resume(this.settings.pollMs);
    const code = partition.errorCode;
    if (code === OFFSET_OUT_OF_RANGE) {
      throw new KafkaIOError(
        `"${this.step}": offset ${from} of ${d.topic}-${d.partition} is out of range (log start ${String(partition.logStartOffset)}, end ${String(partition.highWatermark)}): ` +
          `the records were deleted by retention or the topic was recreated. Restart the read from "earliest" (data is lost) or restore an older checkpoint.`,
        { retryable: false },
      );
    }
    if (isUnreadablePartitionCode(code)) {
      // Leadership moved (or metadata is stale, or the topic is gone): ask again after a
      // pause; the partition holds the watermark meanwhile, counted and, if it lasts, reported.
      const warning = this.unreadableFor(d).refused(this.step, `${d.topic}-${d.partition}`, code, ctx.metrics);
      if (warning !== undefined) process.emitWarning(warning, { type: "BeamKafkaWarning", code: "BEAM_KAFKA_PARTITION_UNREADABLE" });
      return ProcessContinuation.resume(this.settings.pollMs);
    }
    this.unreadableFor(d).served();
    if (code !== 0) throw new KafkaIOError(`"${this.step}": fetching ${d.topic}-${d.partition} at offset ${from} failed with Kafka error code ${code}; the bundle is retried.`);

    const batches = committedBatches(partition.records ?? [], partition.abortedTransactions, this.settings.readCommitted);
    const policy = this.settings.timestampPolicy;
    let last = -1;
    for (const batch of batches) {
      const logAppend = (batch.attributes & LOG_APPEND_TIME) !== 0;
      for (const r of batch.records) {
        const offset = Number(batch.firstOffset + BigInt(r.offsetDelta));
        if (offset < from) continue; // a fetch returns whole batches: skip what was read before
        if (offset >= to) {
          tracker.tryClaim(to);
          return this.stopped(d, ctx, last, ProcessContinuation.stop());
        }
        if (!tracker.tryClaim(offset)) return this.stopped(d, ctx, last, ProcessContinuation.stop());
        const record: RawKafkaRecord = {
          topic: d.topic,
          partition: d.partition,
          offset,
          timestamp: Number(logAppend ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
          logAppendTime: logAppend,
          key: r.key === null ? null : new Uint8Array(r.key),
          value: r.value === null ? null : new Uint8Array(r.value),
          headers: r.headers.map(([k, v]): KafkaHeader => ({ key: k === null ? "" : utf8.decode(k), value: v === null ? null : new Uint8Array(v) })),
        };
        const eventTime = typeof policy === "object" ? policy.timestampFn(record) : record.timestamp;
        ctx.outputWithTimestamp(record, eventTime);
        estimator.observe(eventTime);
        last = offset;
      }
    }
    // Where the next fetch starts: past the last batch, which may end with transaction markers.
    const lastBatch = partition.records?.at(-1);
    const next = lastBatch === undefined ? from : Number(lastBatch.firstOffset + BigInt(lastBatch.lastOffsetDelta)) + 1;
    // read_committed stops at the last stable offset: records past it are not readable yet.
    const end = Number(this.settings.readCommitted ? partition.lastStableOffset : partition.highWatermark);
    this.ends.set(endKey(d), end);
    if (to !== UNBOUNDED_OFFSET && next >= to) {
      // A bounded read is done once the position passed its stop offset (markers may fill the last offsets).
      tracker.tryClaim(to);
      return this.stopped(d, ctx, last, ProcessContinuation.stop());
    }
    if (next >= end) estimator.idle(ctx.processingTime);
    else estimator.busy();
    return this.stopped(d, ctx, last, ProcessContinuation.resume(last >= 0 ? 0 : this.settings.pollMs));
  }

  /**
   * Registers the offset commit of what this call emitted, when offsets are committed in
   * finalize. With recovery bytes: the checkpoint covering the bundle keeps the commit, and a
   * job restored from it sends it again (recoverCommit), so a crash between the checkpoint
   * and the callback does not leave the group behind for good (the restored job may have
   * nothing left to read on that partition, and so no later commit).
   */
  private stopped(d: KafkaPartitionDescriptor, ctx: SplittableProcessContext<RawKafkaRecord, OffsetRange, number>, last: number, result: ProcessContinuation): ProcessContinuation {
    if (last < 0 || this.admin === undefined || this.settings.commitGroup === undefined) return result;
    const commit: OffsetCommit = { topic: d.topic, partition: d.partition, offset: last + 1 };
    ctx.bundleFinalizer.afterBundleCommit(Date.now() + COMMIT_EXPIRY_MS, () => this.commitOffset(commit), utf8Encoder.encode(JSON.stringify(commit)));
    return result;
  }

  /** A restored job's resend of an offset commit its checkpoint holds. */
  async recoverCommit(recovery: Uint8Array): Promise<void> {
    await this.commitOffset(JSON.parse(utf8.decode(recovery)) as OffsetCommit);
  }

  private async commitOffset(c: OffsetCommit): Promise<void> {
    const admin = this.admin;
    const group = this.settings.commitGroup;
    if (admin === undefined || group === undefined) return;
    try {
      await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: c.topic, partitionOffsets: [{ partition: c.partition, offset: BigInt(c.offset) }] }] });
    } catch {
      // Advisory (monitoring, a later job started from the group): the position is the checkpoint's.
    }
  }

  async teardown(): Promise<void> {
    const [consumer, admin] = [this.consumer, this.admin];
    this.consumer = undefined;
    this.admin = undefined;
    await Promise.allSettled([consumer?.close(), admin?.close()]);
  }
}
