/**
 * The Nexmark event source as a splittable DoFn over event positions (Impulse + SDF, like
 * generateSequence): Beam's BoundedEventSource in batch, its UnboundedEventSource in
 * streaming.
 *
 * The run's events are split among `numEventGenerators` generators exactly as Beam splits
 * them (GeneratorConfig.split): generator g owns the positions [firstEventId_g,
 * firstEventId_g + maxEvents_g), which together tile [0, numEvents), and position p is
 * that generator's (p - firstEventId_g)th event. So the restriction is an OffsetRange of
 * positions; an event is a pure function of its position, and any split of the range
 * yields the same events.
 *
 * Rate-limited in streaming, the source also holds events back as Beam's
 * UnboundedEventSource does (`probDelayedEvent`, `occasionalDelaySec`): a held event keeps
 * its event timestamp, is marked "LATE", does not advance the watermark, and is emitted
 * once its delayed due time comes, so it arrives behind the watermark (see `eventDelayMs`).
 */
import {
  MIN_TIMESTAMP,
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  impulse,
  ptransform,
  splittableParDo,
  type PBegin,
  type PCollection,
  type PTransform,
  type SplittableDoFn,
  type SplittableProcessContext,
  type WatermarkEstimator,
} from "../../src/index.js";
import { eventCoder } from "./coders.js";
import type { NexmarkConfiguration } from "./config.js";
import { standardGeneratorConfig, type GeneratorConfig } from "./generator-config.js";
import { eventAt, eventDelayMs, type NextEvent } from "./generator.js";
import { JavaRandom } from "./java-random.js";
import { withAnnotation, type Event } from "./model.js";

/** Options of nexmarkEvents. */
export interface NexmarkSourceOptions {
  /**
   * An unbounded source (Beam's `--streaming` Nexmark): each generator is read in order and
   * the watermark follows the generators' event time, so windows fire as it passes them.
   * With `isRateLimited` in the configuration, events are also paced by processing time.
   */
  readonly streaming?: boolean;
  /** Event time of event number 0 with `useWallclockEventTime` (default: now). */
  readonly now?: number;
}

/** Estimator state: the watermark, and when the generator started (for pacing). */
interface GeneratorWatermarkState {
  readonly watermark: number;
  readonly startedAt: number | undefined;
}

/** A manual watermark that never goes back, plus the generator's processing-time start. */
class GeneratorWatermarkEstimator implements WatermarkEstimator<GeneratorWatermarkState> {
  private watermark: number;
  private startedAt: number | undefined;
  constructor(state: GeneratorWatermarkState) {
    this.watermark = state.watermark;
    this.startedAt = state.startedAt;
  }
  start(now: number): number {
    return (this.startedAt ??= now);
  }
  set(watermark: number): void {
    if (watermark > this.watermark) this.watermark = watermark;
  }
  currentWatermark(): number {
    return this.watermark;
  }
  getState(): GeneratorWatermarkState {
    return { watermark: this.watermark, startedAt: this.startedAt };
  }
}

/** An event the rate-limited source holds back (Beam's NextEvent.withDelay). */
interface HeldEvent {
  /** Event time (on the generator's due timeline) at which it is released. */
  readonly releaseAt: number;
  readonly eventId: number;
  /** The event, annotated "LATE" as Beam does. */
  readonly event: Event;
  /** Its event timestamp, unchanged. */
  readonly timestamp: number;
  readonly watermark: number;
}

function heldEvent(next: NextEvent, delayMs: number): HeldEvent {
  return {
    releaseAt: next.dueTimestamp + delayMs,
    eventId: next.eventId,
    event: withAnnotation(next.event, "LATE"),
    timestamp: next.eventTimestamp,
    watermark: next.watermark,
  };
}

/** Release order: by release time, then event id (Beam: wallclock time, then event hash). */
const byRelease = (a: HeldEvent, b: HeldEvent): number => a.releaseAt - b.releaseAt || a.eventId - b.eventId;

/** The splittable DoFn: element = the impulse, restriction = event positions. */
class NexmarkEventsFn implements SplittableDoFn<Uint8Array, Event, OffsetRange> {
  /** The generators, in position order. */
  private readonly generators: readonly GeneratorConfig[];
  private readonly random = new JavaRandom();
  private readonly delayRandom = new JavaRandom();
  /** Per generator, the events held back where its reading last paused (an optimisation of `heldAt`). */
  private readonly heldCache = new Map<number, { readonly next: number; readonly held: HeldEvent[] }>();
  readonly getInitialWatermarkState?: () => GeneratorWatermarkState;
  readonly newWatermarkEstimator?: (state: unknown) => GeneratorWatermarkEstimator;
  /** Streaming sources stop on drain; batch ones finish their work. */
  readonly truncateRestriction?: () => undefined;

  constructor(
    private readonly config: NexmarkConfiguration,
    private readonly streaming: boolean,
    now: number,
  ) {
    this.generators = standardGeneratorConfig(config, now).split(config.numEventGenerators);
    if (streaming) {
      this.getInitialWatermarkState = () => ({ watermark: MIN_TIMESTAMP, startedAt: undefined });
      this.newWatermarkEstimator = (state) => new GeneratorWatermarkEstimator(state as GeneratorWatermarkState);
      this.truncateRestriction = () => undefined;
    }
  }

  getInitialRestriction(): OffsetRange {
    const last = this.generators[this.generators.length - 1]!;
    return new OffsetRange(0, last.firstEventId + last.maxEvents);
  }

  /**
   * One piece per generator (streaming: each is read in order, so its watermark holds); in
   * batch, generators are cut further when there are fewer than `desiredChunks`.
   */
  splitRestriction(_impulse: Uint8Array, range: OffsetRange, desiredChunks: number): OffsetRange[] {
    const pieces: OffsetRange[] = [];
    for (const g of this.generators) {
      const from = Math.max(range.from, g.firstEventId);
      const to = Math.min(range.to, g.firstEventId + g.maxEvents);
      if (from < to) pieces.push(new OffsetRange(from, to));
    }
    if (this.streaming || pieces.length >= desiredChunks) return pieces;
    const per = Math.ceil(desiredChunks / Math.max(1, pieces.length));
    return pieces.flatMap((p) => p.split(Math.max(1, Math.ceil(p.size / per))));
  }

  getSize(_impulse: Uint8Array, range: OffsetRange): number {
    return range.size;
  }

  newTracker(_impulse: Uint8Array, range: OffsetRange): OffsetRangeTracker {
    return new OffsetRangeTracker(range);
  }

  /** The generator owning position `p` (generators tile the positions in order). */
  private generatorOf(p: number): number {
    let lo = 0;
    let hi = this.generators.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.generators[mid]!.firstEventId <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Whether the source holds events back (Beam: rate-limited, probDelayedEvent > 0, occasionalDelaySec > 0). */
  private get delaying(): boolean {
    return this.streaming && this.config.isRateLimited && this.config.probDelayedEvent > 0 && this.config.occasionalDelaySec > 0;
  }

  /**
   * The events of generator `gi` still held back when its reading resumes at position `q`.
   * An event held back at position p is released right after the first position r > p
   * whose due time reaches its release time (or after the generator's last position), so
   * the events still held are those before `q` whose release time is past the due time of
   * `q - 1`: a pure function of `q`, whoever read the positions before it.
   */
  private heldAt(gi: number, q: number): HeldEvent[] {
    const g = this.generators[gi]!;
    if (q <= g.firstEventId || q >= g.firstEventId + g.maxEvents) return [];
    const cached = this.heldCache.get(gi);
    if (cached !== undefined && cached.next === q) return [...cached.held];
    const lastDue = g.timestampForEvent(g.nextEventNumber(q - 1 - g.firstEventId));
    const maxDelayMs = this.config.occasionalDelaySec * 1000;
    const held: HeldEvent[] = [];
    for (let p = q - 1; p >= g.firstEventId; p--) {
      const count = p - g.firstEventId;
      const due = g.timestampForEvent(g.nextEventNumber(count));
      if (due + maxDelayMs <= lastDue) break;
      const delay = eventDelayMs(this.config, g.firstEventId + g.nextAdjustedEventNumber(count), this.delayRandom);
      if (delay > 0 && due + delay > lastDue) held.push(heldEvent(eventAt(g, count, this.random), delay));
    }
    return held.sort(byRelease);
  }

  process(_impulse: Uint8Array, ctx: SplittableProcessContext<Event, OffsetRange, number>): ProcessContinuation {
    const tracker = ctx.tracker;
    const holdbackMs = this.config.watermarkHoldbackSec * 1000;
    const estimator = this.streaming ? (ctx.watermarkEstimator as GeneratorWatermarkEstimator) : undefined;
    const paced = estimator !== undefined && this.config.isRateLimited;
    const delaying = this.delaying;
    const startedAt = paced ? estimator.start(ctx.processingTime) : 0;
    let p = tracker.currentRestriction().from;
    let gi = this.generatorOf(p);
    let g = this.generators[gi]!;
    let held = delaying ? this.heldAt(gi, p) : [];
    /** Emits the held events released by due time `due` (all of them with Infinity), in release order. */
    const release = (due: number): void => {
      let n = 0;
      while (n < held.length && held[n]!.releaseAt <= due) {
        const h = held[n++]!;
        ctx.outputWithTimestamp(h.event, h.timestamp);
        estimator?.set(h.watermark - holdbackMs);
      }
      if (n > 0) held = held.slice(n);
    };
    const pause = (next: number): void => {
      if (delaying) this.heldCache.set(gi, { next, held });
    };
    for (; ; p++) {
      if (p >= g.firstEventId + g.maxEvents) {
        g = this.generators[(gi = this.generatorOf(p))] ?? g;
        held = delaying ? this.heldAt(gi, p) : [];
      }
      const count = p - g.firstEventId;
      if (paced) {
        // Due at the generator's start plus the event's offset in event time (Beam's wallclock timestamp).
        const due = startedAt + (g.timestampForEvent(g.nextEventNumber(count)) - g.baseTime);
        if (due > ctx.processingTime && p < tracker.currentRestriction().to) {
          pause(p);
          return ProcessContinuation.resume(due - ctx.processingTime);
        }
      }
      if (!tracker.tryClaim(p)) {
        pause(p);
        return ProcessContinuation.stop();
      }
      const next = eventAt(g, count, this.random);
      if (delaying) {
        // Beam replays a held-back event once the wall clock reaches its (delayed) time.
        release(next.dueTimestamp);
        const delay = eventDelayMs(this.config, next.eventId, this.delayRandom);
        if (delay > 0) {
          // Held back: not emitted now, and (as in Beam) the watermark does not move for it.
          held.push(heldEvent(next, delay));
          held.sort(byRelease);
        } else {
          ctx.outputWithTimestamp(next.event, next.eventTimestamp);
          estimator?.set(next.watermark - holdbackMs);
        }
        // The generator's last position releases what is still held (Beam waits for their time).
        if (count === g.maxEvents - 1) release(Infinity);
        continue;
      }
      ctx.outputWithTimestamp(next.event, next.eventTimestamp);
      estimator?.set(next.watermark - holdbackMs);
    }
  }

  toString(): string {
    return `NexmarkEvents(${this.config.numEvents} events, ${this.config.numEventGenerators} generators${this.streaming ? ", streaming" : ""})`;
  }
}

/**
 * The Nexmark events of `config`, timestamped with their event time: bounded (batch), or
 * unbounded with a watermark (`streaming`). The events are those of Beam's Java Nexmark
 * for the same configuration, generator by generator.
 *
 * @example
 * const events = p.apply(nexmarkEvents(nexmarkConfiguration({ numEvents: 10_000 })));
 */
export function nexmarkEvents(config: NexmarkConfiguration, options: NexmarkSourceOptions = {}): PTransform<PBegin, PCollection<Event>> {
  const streaming = options.streaming === true;
  const fn = new NexmarkEventsFn(config, streaming, options.now ?? Date.now());
  return ptransform("NexmarkEvents", (input: PBegin) =>
    input
      .apply("Impulse", impulse())
      .apply("Generate", splittableParDo(fn, { unbounded: streaming }))
      .withCoder(eventCoder),
  );
}
