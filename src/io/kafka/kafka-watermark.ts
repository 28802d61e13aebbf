import { MIN_TIMESTAMP, type Duration, type Instant } from "../../model/index.js";
import type { WatermarkEstimator } from "../../transforms/index.js";
import type { RawKafkaRecord } from "./kafka-record.js";

/**
 * Where a record's event time comes from (Beam KafkaIO's TimestampPolicy):
 * - "logAppendTime": the broker's append time (topics with message.timestamp.type
 *   LogAppendTime; on others the producer's create time, trusted as in order);
 * - "createTime": the producer's create time, trusted as in order (Beam's
 *   `withCreateTime(maxDelay)` with a delay is `{ timestampFn: (r) => r.timestamp, maxDelayMs }`);
 * - a function of the raw record, with the same bounded out-of-orderness.
 */
export type KafkaTimestampPolicy =
  | "logAppendTime"
  | "createTime"
  | { readonly timestampFn: (record: RawKafkaRecord) => Instant; readonly maxDelayMs: Duration };

/** The estimator's state, stored with the restriction in checkpoints: plain numbers. */
export interface PartitionWatermarkState {
  /** The watermark last reported; it never goes back. */
  readonly watermark: Instant;
  /** The greatest event time seen on the partition. */
  readonly maxEventTime: Instant;
  /** Processing time since which the reader has been caught up with the partition; absent while it is not. */
  readonly caughtUpSince?: Instant;
}

/**
 * A partition's watermark with bounded out-of-orderness (Beam's
 * CustomTimestampPolicyWithLimitedDelay): the greatest event time seen minus `maxDelay`;
 * when the reader is caught up with the partition (idle), the processing time minus
 * `maxDelay` and `idleLag`, as a record appended later cannot be older than that (its
 * create time may be late by `maxDelay`; `idleLag` covers producers' clocks being behind
 * ours). "Caught up" counts only once the reader has had nothing more to read for
 * `idleTimeout` (Flink's withIdleness): a partition that merely paused between two bursts
 * holds the watermark meanwhile. It never goes back.
 */
export class PartitionWatermarkEstimator implements WatermarkEstimator<PartitionWatermarkState> {
  private watermark: Instant;
  private maxEventTime: Instant;
  private caughtUpSince: Instant | undefined;

  constructor(
    state: PartitionWatermarkState,
    private readonly maxDelay: Duration,
    private readonly idleLag: Duration,
    private readonly idleTimeout: Duration = 0,
  ) {
    this.watermark = state.watermark;
    this.maxEventTime = state.maxEventTime;
    this.caughtUpSince = state.caughtUpSince;
  }

  /** A record was emitted with event time `t`. */
  observe(t: Instant): void {
    if (t > this.maxEventTime) this.maxEventTime = t;
    this.advance(this.maxEventTime - this.maxDelay);
  }

  /** The reader is caught up with the partition at processing time `now`: idle once it has been for `idleTimeout`. */
  idle(now: Instant): void {
    this.caughtUpSince ??= now;
    if (now - this.caughtUpSince >= this.idleTimeout) this.advance(now - this.maxDelay - this.idleLag);
  }

  /** The partition has more to read: no longer caught up. */
  busy(): void {
    this.caughtUpSince = undefined;
  }

  private advance(to: Instant): void {
    if (to > this.watermark) this.watermark = Math.max(MIN_TIMESTAMP, to);
  }

  currentWatermark(): Instant {
    return this.watermark;
  }

  getState(): PartitionWatermarkState {
    const state = { watermark: this.watermark, maxEventTime: this.maxEventTime };
    return this.caughtUpSince === undefined ? state : { ...state, caughtUpSince: this.caughtUpSince };
  }
}
