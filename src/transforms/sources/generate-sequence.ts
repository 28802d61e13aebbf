import type { Duration, Instant } from "../../model/index.js";
import { ConstructionError, MIN_TIMESTAMP } from "../../model/index.js";
import { defaultName, ptransform, type PBegin, type PCollection, type PTransform } from "../../pipeline/index.js";
import { varIntCoder } from "../../coders/index.js";
import type { TimestampedValue } from "../combiners/latest.js";
import { read, type Source, type SourceReader, type SourceReadResult } from "./read.js";

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

/** Numbers read per call when no rate limits them. */
const MAX_BATCH = 10_000;

class SequenceSource implements Source<number> {
  readonly isBounded: boolean;
  constructor(readonly options: GenerateSequenceOptions) {
    this.isBounded = options.to !== undefined && options.rate === undefined;
  }
  createReader(): SourceReader<number> {
    return new SequenceReader(this.options, this.isBounded);
  }
  toString(): string {
    const { from = 0, to, rate } = this.options;
    const r = rate ? `, ${rate.elements}/${rate.period}ms` : "";
    return `GenerateSequence(${from}..${to ?? "inf"}${r})`;
  }
}

class SequenceReader implements SourceReader<number> {
  private next: number;
  private readonly end: number;
  private startedAt: Instant | undefined;
  private lastTimestamp: Instant = MIN_TIMESTAMP;

  constructor(
    private readonly options: GenerateSequenceOptions,
    private readonly bounded: boolean,
  ) {
    this.next = options.from ?? 0;
    this.end = options.to ?? Infinity;
  }

  read(maxElements: number, now: Instant): SourceReadResult<number> {
    this.startedAt ??= now;
    let allowed = Math.min(maxElements, MAX_BATCH, this.end - this.next);
    const { rate, timestamp } = this.options;
    if (rate !== undefined) {
      const dueByNow = Math.floor(((now - this.startedAt) / rate.period) * rate.elements) + 1;
      const emitted = this.next - (this.options.from ?? 0);
      allowed = Math.max(0, Math.min(allowed, dueByNow - emitted));
      if (allowed === 0 && this.next < this.end) {
        const nextDue = this.startedAt + Math.ceil(((emitted) / rate.elements) * rate.period);
        return { elements: [], watermark: this.watermark(now), nextReadAt: nextDue };
      }
    }
    const elements: TimestampedValue<number>[] = new Array(allowed);
    for (let i = 0; i < allowed; i++) {
      const n = this.next++;
      const t = timestamp !== undefined ? timestamp(n) : this.bounded ? MIN_TIMESTAMP : now;
      if (t > this.lastTimestamp) this.lastTimestamp = t;
      elements[i] = { value: n, timestamp: t };
    }
    return { elements, watermark: this.watermark(now), done: this.next >= this.end };
  }

  private watermark(now: Instant): Instant {
    // Unbounded default timestamps are processing time: no later element is earlier than now.
    return this.options.timestamp === undefined && !this.bounded ? now : this.lastTimestamp;
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
  const source = new SequenceSource(options);
  return ptransform(defaultName("GenerateSequence", undefined), (input: PBegin) => input.apply("Read", read(source, { coder: varIntCoder })));
}
