import type { Duration, Instant } from "../../model/index.js";
import { ConstructionError, fixedWindows } from "../../model/index.js";
import { defaultName, ptransform, type PBegin, type PCollection, type PTransform } from "../../pipeline/index.js";
import { doubleCoder } from "../../coders/index.js";
import { windowInto } from "../window-into.js";
import { read, type Source, type SourceReader, type SourceReadResult } from "./read.js";

/** Options of periodicImpulse. */
export interface PeriodicImpulseOptions {
  /** The first instant (default: the processing time when the job starts). */
  readonly start?: Instant;
  /** The last instant, inclusive (default: never stop). */
  readonly stop?: Instant;
  /** Time between two impulses. */
  readonly interval: Duration;
  /** Put each impulse in a fixed window of `interval` (Beam's applyWindowing). */
  readonly applyWindowing?: boolean;
}

class PeriodicImpulseSource implements Source<Instant> {
  readonly isBounded = false;
  constructor(readonly options: PeriodicImpulseOptions) {}
  createReader(): SourceReader<Instant> {
    return new PeriodicImpulseReader(this.options);
  }
  toString(): string {
    const { start, stop, interval } = this.options;
    return `PeriodicImpulse(${start ?? "now"}..${stop ?? "inf"} every ${interval}ms)`;
  }
}

class PeriodicImpulseReader implements SourceReader<Instant> {
  private next: Instant | undefined;
  constructor(private readonly options: PeriodicImpulseOptions) {}

  read(maxElements: number, now: Instant): SourceReadResult<Instant> {
    const { interval, stop = Infinity } = this.options;
    this.next ??= this.options.start ?? now;
    const elements: { value: Instant; timestamp: Instant }[] = [];
    while (elements.length < maxElements && this.next <= now && this.next <= stop) {
      elements.push({ value: this.next, timestamp: this.next });
      this.next += interval;
    }
    const done = this.next > stop;
    // Every impulse not yet emitted is at or after `next`, so that is the watermark.
    return { elements, watermark: this.next, done, nextReadAt: this.next };
  }
}

/**
 * Beam's PeriodicImpulse: emits the instant `start + k * interval` (as both element and
 * timestamp) when processing time reaches it, until `stop`. With a controlled clock
 * (TestStream) it follows the test's processing time. The usual base of the
 * slowly-changing side input pattern.
 *
 * @example p.apply(periodicImpulse({ interval: Durations.minutes(5) }))
 */
export function periodicImpulse(options: PeriodicImpulseOptions): PTransform<PBegin, PCollection<Instant>> {
  if (!(options.interval > 0)) throw new ConstructionError(`periodicImpulse needs interval > 0 ms; got ${options.interval}.`);
  if (options.start !== undefined && options.stop !== undefined && options.stop < options.start) {
    throw new ConstructionError(`periodicImpulse: stop (${options.stop}) is before start (${options.start}).`);
  }
  const source = new PeriodicImpulseSource(options);
  return ptransform(defaultName("PeriodicImpulse", undefined), (input: PBegin) => {
    const impulses = input.apply("Read", read(source, { coder: doubleCoder }));
    return options.applyWindowing === true ? impulses.apply("Window", windowInto(fixedWindows(options.interval))) : impulses;
  });
}
