import type { Duration, Instant } from "../../model/index.js";
import { ConstructionError, MIN_TIMESTAMP } from "../../model/index.js";
import { defaultName, ptransform, type PBegin, type PCollection, type PTransform } from "../../pipeline/index.js";
import { varIntCoder } from "../../coders/index.js";
import { impulse } from "../impulse.js";
import {
  OffsetRange,
  ProcessContinuation,
  UNBOUNDED_OFFSET,
  splitOffsetRange,
  splittableParDo,
  type OffsetRangeTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../sdf/index.js";
import { PacedWatermarkEstimator, offsetTracker, type PacedState } from "./clocked-range.js";

/** Options of generateSequence. */
export interface GenerateSequenceOptions {
  /** First number (default 0). */
  readonly from?: number;
  /** End, exclusive. Without it the sequence never ends (an unbounded PCollection). */
  readonly to?: number;
  /** At most `elements` numbers per `period` of processing time (Beam's withRate). */
  readonly rate?: { readonly elements: number; readonly period: Duration };
  /**
   * The event timestamp of each number. The source's watermark is the largest timestamp
   * read so far (as Beam's counting source), so a number whose timestamp is below an
   * earlier one arrives behind the watermark: late data, on purpose. Default: the
   * processing time at which the number is read for an unbounded sequence, and the
   * minimum timestamp for a bounded one (as Beam's counting sources).
   */
  readonly timestamp?: (n: number) => Instant;
}

/**
 * Beam's GenerateSequence as a splittable DoFn over the numbers (a ClockedRange):
 * bounded sequences without a rate split into pieces up front; a rate paces output against
 * the runner's processing time from the first call (the DoFn resumes itself when ahead);
 * the watermark is the largest timestamp emitted (processing time for the unbounded
 * default), kept in a manual watermark estimator across checkpoints.
 */
class SequenceFn implements SplittableDoFn<Uint8Array, number, OffsetRange> {
  constructor(
    readonly options: GenerateSequenceOptions,
    readonly isBounded: boolean,
  ) {}

  getInitialRestriction(): OffsetRange {
    return new OffsetRange(this.options.from ?? 0, this.options.to ?? UNBOUNDED_OFFSET);
  }
  splitRestriction(_impulse: Uint8Array, r: OffsetRange, chunks: number): OffsetRange[] {
    return this.isBounded ? splitOffsetRange(r, chunks) : [r];
  }
  getSize(_impulse: Uint8Array, r: OffsetRange): number {
    return r.size;
  }
  newTracker(_impulse: Uint8Array, r: OffsetRange): OffsetRangeTracker {
    return offsetTracker(r);
  }
  getInitialWatermarkState(): PacedState {
    return { watermark: MIN_TIMESTAMP, startedAt: undefined };
  }
  newWatermarkEstimator(state: unknown): PacedWatermarkEstimator {
    return new PacedWatermarkEstimator(state as PacedState);
  }

  process(_impulse: Uint8Array, ctx: SplittableProcessContext<number, OffsetRange, number>): ProcessContinuation {
    const tracker = ctx.tracker;
    const estimator = ctx.watermarkEstimator as PacedWatermarkEstimator;
    const now = ctx.processingTime;
    const startedAt = estimator.start(now);
    const { rate, timestamp } = this.options;
    const from = this.options.from ?? 0;
    // Numbers due by now: all of them without a rate.
    const due = rate === undefined ? Infinity : from + Math.floor(((now - startedAt) / rate.period) * rate.elements) + 1;
    let n = tracker.currentRestriction().from;
    let watermark = estimator.currentWatermark();
    let claimed = true;
    for (; n < due; n++) {
      if (!tracker.tryClaim(n)) {
        claimed = false;
        break;
      }
      const t = timestamp !== undefined ? timestamp(n) : this.isBounded ? MIN_TIMESTAMP : now;
      if (t > watermark) watermark = t;
      ctx.outputWithTimestamp(n, t);
    }
    // Unbounded default timestamps are processing time: nothing later can be earlier than now.
    estimator.setWatermark(timestamp === undefined && !this.isBounded ? now : watermark);
    // The range is done, or the runner checkpointed it (the rest is a residual).
    if (!claimed || n >= tracker.currentRestriction().to) return ProcessContinuation.stop();
    // Ahead of the rate: come back when the next number is due.
    const nextDue = startedAt + Math.ceil(((n - from) / rate!.elements) * rate!.period);
    return ProcessContinuation.resume(Math.max(0, nextDue - now));
  }

  toString(): string {
    const { from = 0, to, rate } = this.options;
    const r = rate ? `, ${rate.elements}/${rate.period}ms` : "";
    return `GenerateSequence(${from}..${to ?? "inf"}${r})`;
  }
}

/**
 * Beam's GenerateSequence: the numbers from `from` up to `to` (exclusive), or forever
 * when `to` is absent, optionally rate-limited, with timestamps from `timestamp`.
 * A sequence with `to` and no rate is bounded; otherwise it is unbounded (streaming).
 *
 * @example
 * // 1000 events per second forever, timestamped when read:
 * p.apply(generateSequence({ rate: { elements: 1000, period: 1000 } }))
 */
export function generateSequence(options: GenerateSequenceOptions = {}): PTransform<PBegin, PCollection<number>> {
  const { from = 0, to, rate } = options;
  if (!Number.isSafeInteger(from) || (to !== undefined && (!Number.isSafeInteger(to) || to < from))) {
    throw new ConstructionError(`generateSequence: from and to must be integers with from <= to; got ${from} and ${to}.`);
  }
  if (rate !== undefined && !(rate.elements > 0 && rate.period > 0)) {
    throw new ConstructionError(`generateSequence: rate needs elements > 0 and period > 0 ms; got ${JSON.stringify(rate)}.`);
  }
  const bounded = to !== undefined && rate === undefined;
  const fn = new SequenceFn(options, bounded);
  return ptransform(defaultName("GenerateSequence", undefined), (input: PBegin) => {
    return input
      .apply("Impulse", impulse())
      .apply("Generate", splittableParDo(fn, { unbounded: !bounded }))
      .withCoder(varIntCoder);
  });
}
