import type { Coder, Duration, Instant, TestStreamEvent, ValueWithTimestamp } from "../model/index.js";
import { ConstructionError, GLOBAL_WINDOWING, MAX_TIMESTAMP, MIN_TIMESTAMP, describeValue, formatInstant } from "../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../pipeline/index.js";
import { inferCoder } from "../coders/index.js";

/**
 * Beam's TestStream: a scripted unbounded source for tests. Elements arrive in the
 * bundles you give, the watermark moves only when you say, and processing time (which
 * processing-time triggers and periodicImpulse read) is a test clock starting at 0 that
 * moves only by `advanceProcessingTime`. Everything an event causes downstream, firings
 * included, happens before the next event.
 *
 * Finish with `advanceWatermarkToInfinity()`, which gives the transform to apply; the
 * watermark then goes to +infinity and every open window fires. Writing the script as
 * text is often shorter: see `testStream`.
 *
 * @example
 * const input = p.apply(
 *   TestStream.create<string>()
 *     .addElements({ value: "a", timestamp: 1_000 }, { value: "b", timestamp: 2_000 })
 *     .advanceWatermarkTo(60_000)
 *     .addElements({ value: "late", timestamp: 5_000 })
 *     .advanceWatermarkToInfinity(),
 * );
 */
export class TestStream<T> {
  private watermark: Instant = MIN_TIMESTAMP;
  private constructor(
    private readonly events: TestStreamEvent[],
    private readonly coder: Coder<T> | undefined,
  ) {}

  /** Starts a script; the coder is inferred from the elements unless given. */
  static create<T>(coder?: Coder<T>): TestStream<T> {
    return new TestStream<T>([], coder);
  }

  /**
   * Adds one bundle. Bare values get the current watermark as their timestamp (as in
   * Beam); `{ value, timestamp }` objects carry their own. Elements behind the watermark
   * are allowed: that is how tests produce late data.
   */
  addElements(...elements: readonly (ValueWithTimestamp<T> | T)[]): this {
    if (elements.length === 0) throw new ConstructionError("TestStream.addElements needs at least one element.");
    const stamped = elements.map((e) => (isTimestamped(e) ? e : { value: e, timestamp: Math.max(this.watermark, MIN_TIMESTAMP) }));
    for (const e of stamped) {
      if (!Number.isFinite(e.timestamp) || e.timestamp >= MAX_TIMESTAMP) {
        throw new ConstructionError(`TestStream: element ${describeValue(e.value)} has timestamp ${e.timestamp}; use a finite time before +infinity.`);
      }
    }
    this.events.push({ kind: "elements", elements: stamped });
    return this;
  }

  /** Advances the watermark; it must move forward. */
  advanceWatermarkTo(watermark: Instant): this {
    if (!(watermark >= this.watermark)) {
      throw new ConstructionError(
        `TestStream: the watermark must not go back, but ${formatInstant(watermark)} is before ${formatInstant(this.watermark)}.`,
      );
    }
    this.watermark = Math.min(watermark, MAX_TIMESTAMP);
    this.events.push({ kind: "watermark", watermark: this.watermark });
    return this;
  }

  /** Advances the test clock (processing time) by `by` milliseconds. */
  advanceProcessingTime(by: Duration): this {
    if (!(by > 0)) throw new ConstructionError(`TestStream: processing time must advance by a positive duration; got ${by}.`);
    this.events.push({ kind: "processingTime", advanceBy: by });
    return this;
  }

  /** Ends the script: the watermark goes to +infinity. Returns the transform to apply. */
  advanceWatermarkToInfinity(): PTransform<PBegin, PCollection<T>> {
    const events = [...this.events, { kind: "watermark", watermark: MAX_TIMESTAMP } as const];
    const values = events.flatMap((e) => (e.kind === "elements" ? e.elements.map((x) => x.value) : []));
    const coder = this.coder ?? (inferCoder(values) as Coder<T>);
    return new TestStreamTransform<T>(events, coder);
  }
}

function isTimestamped<T>(e: ValueWithTimestamp<T> | T): e is ValueWithTimestamp<T> {
  return typeof e === "object" && e !== null && "timestamp" in e && "value" in e && Object.keys(e).length === 2;
}

class TestStreamTransform<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(
    private readonly events: readonly TestStreamEvent[],
    private readonly coder: Coder<T>,
  ) {
    super("TestStream");
  }
  expand(input: PBegin): PCollection<T> {
    const [out] = input.pipeline.addPrimitive({ kind: "testStream", events: this.events }, [], [
      { tag: "main", coder: this.coder as Coder<unknown>, windowing: GLOBAL_WINDOWING, isBounded: false },
    ]);
    return out as PCollection<T>;
  }
}
