import { MIN_TIMESTAMP, type Duration, type Instant } from "../../model/index.js";
import { ManualWatermarkEstimator, ProcessContinuation, type SplittableDoFn, type SplittableProcessContext } from "../../transforms/index.js";
import { clientOptions, loadKafkaModule, unreachable, type KafkaModule } from "./kafka-connection.js";
import { KafkaIOError } from "./kafka-io-error.js";
import { currentPartitions, describePartitions, type ListingSettings } from "./partition-listing.js";
import { PartitionSetTracker, type PartitionSet } from "./partition-set-tracker.js";
import type { KafkaPartitionDescriptor } from "./read-partition-fn.js";

type Consumer = InstanceType<KafkaModule["Consumer"]>;
type Admin = InstanceType<KafkaModule["Admin"]>;

/**
 * Finds the partitions of an unbounded read while it runs (Beam KafkaIO's
 * WatchForKafkaTopicPartitions): a splittable DoFn over the impulse whose restriction is the
 * set of partitions emitted so far. Every `intervalMs` it lists the topics (or those the
 * pattern matches) again and emits a descriptor for each partition not in the set: a
 * partition added to a topic, or a new topic matching the pattern, is read from its
 * earliest offset. The set is in checkpoints, so a restored job emits only what is new.
 * Partitions that disappear (a deleted topic) are not retracted: their reads fail loudly.
 *
 * Its watermark is the processing time less `idleLagMs` (as an idle partition's): a
 * partition found later cannot hold records older than that, unless producers set old
 * timestamps, which then arrive late.
 */
export class WatchPartitionsFn implements SplittableDoFn<Uint8Array, KafkaPartitionDescriptor, PartitionSet, readonly string[] | null> {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;

  constructor(
    readonly settings: ListingSettings,
    readonly step: string,
    readonly intervalMs: Duration,
    readonly idleLagMs: Duration,
  ) {}

  async setup(): Promise<void> {
    const kafka = await loadKafkaModule(this.step);
    const options = clientOptions(this.settings.connection, "watcher");
    this.consumer = new kafka.Consumer({ ...options, groupId: `beam-ts-watcher-${process.pid}` });
    this.admin = new kafka.Admin(options);
  }

  getInitialRestriction(): PartitionSet {
    return { known: [], done: false, listed: false };
  }
  newTracker(_impulse: Uint8Array, r: PartitionSet): PartitionSetTracker {
    return new PartitionSetTracker(r);
  }
  getInitialWatermarkState(): Instant {
    return MIN_TIMESTAMP;
  }
  newWatermarkEstimator(state: unknown): ManualWatermarkEstimator {
    return new ManualWatermarkEstimator(state as Instant);
  }
  /** Drain: stop watching. */
  truncateRestriction(): undefined {
    return undefined;
  }

  async process(_impulse: Uint8Array, ctx: SplittableProcessContext<KafkaPartitionDescriptor, PartitionSet, readonly string[] | null>): Promise<ProcessContinuation> {
    // The runner may wrap the tracker: only the RestrictionTracker methods are used.
    const tracker = ctx.tracker;
    const { known, listed } = tracker.currentRestriction();
    const first = !listed;
    let descriptors: KafkaPartitionDescriptor[];
    let found: string[];
    try {
      const seen = new Set(known);
      found = (await currentPartitions(this.consumer!, this.admin!, this.settings, this.step)).filter((k) => !seen.has(k));
      descriptors = await describePartitions(this.consumer!, this.settings, found, first, ctx.processingTime);
    } catch (err) {
      if (err instanceof KafkaIOError) throw err;
      throw unreachable(this.step, this.settings.connection, "list the partitions to read", err);
    }
    if (!tracker.tryClaim(found)) return ProcessContinuation.stop();
    // At the impulse's timestamp: the reads' records carry their own, which may be older.
    for (const d of descriptors) ctx.outputWithTimestamp(d, MIN_TIMESTAMP);
    (ctx.watermarkEstimator as ManualWatermarkEstimator).setWatermark(ctx.processingTime - this.idleLagMs);
    return ProcessContinuation.resume(this.intervalMs);
  }

  async teardown(): Promise<void> {
    const [consumer, admin] = [this.consumer, this.admin];
    this.consumer = undefined;
    this.admin = undefined;
    await Promise.allSettled([consumer?.close(), admin?.close()]);
  }
}
