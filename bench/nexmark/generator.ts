/**
 * Beam's Nexmark Generator: the events of one GeneratorConfig, in order. Every event is a
 * pure function of the config and its position, so a generator can start anywhere
 * (`eventAt`) and be split at any event id without changing what anyone produces.
 */
import { nextAuction } from "./auction-generator.js";
import { nextBid } from "./bid-generator.js";
import { AUCTION_PROPORTION, PERSON_PROPORTION, PROPORTION_DENOMINATOR, standardGeneratorConfig, type GeneratorConfig } from "./generator-config.js";
import { JavaRandom } from "./java-random.js";
import { auctionEvent, bidEvent, personEvent, type Event, type TimestampedEvent } from "./model.js";
import { nextPerson } from "./person-generator.js";
import type { NexmarkConfiguration } from "./config.js";

/** One generated event with its times (Beam's Generator.NextEvent). */
export interface NextEvent {
  /** Event time of the event: its data's dateTime and its timestamp in the pipeline. */
  readonly eventTimestamp: number;
  readonly event: Event;
  /** A lower bound on the timestamps of this and every later event of the generator. */
  readonly watermark: number;
  /** Event time at which the event is due in a rate-limited run (without out-of-order jitter). */
  readonly dueTimestamp: number;
  /** The event's id (the seed of its draws). */
  readonly eventId: number;
}

/**
 * The event the generator of `config` produces after `eventsCountSoFar` events. `random`
 * is re-seeded with the event id (pass one JavaRandom to reuse it).
 */
export function eventAt(config: GeneratorConfig, eventsCountSoFar: number, random: JavaRandom = new JavaRandom()): NextEvent {
  // Event time is monotonic in the event number; the event's own (adjusted) number may jitter.
  const eventNumber = config.nextEventNumber(eventsCountSoFar);
  const dueTimestamp = config.timestampForEvent(eventNumber);
  let adjusted = eventNumber;
  let eventTimestamp = dueTimestamp;
  let watermark = dueTimestamp;
  // Out-of-order groups of one (the default) leave the number, and so both times, as they are.
  if (config.configuration.outOfOrderGroupSize !== 1) {
    adjusted = config.nextAdjustedEventNumber(eventsCountSoFar);
    if (adjusted !== eventNumber) eventTimestamp = config.timestampForEvent(adjusted);
    watermark = config.timestampForEvent(config.nextEventNumberForWatermark(eventsCountSoFar));
  }
  const eventId = config.firstEventId + adjusted;
  random.setSeed(eventId);
  const rem = eventId % PROPORTION_DENOMINATOR;
  let event: Event;
  if (rem < PERSON_PROPORTION) {
    event = personEvent(nextPerson(eventId, random, eventTimestamp, config));
  } else if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
    event = auctionEvent(nextAuction(eventsCountSoFar, eventId, random, eventTimestamp, config));
  } else {
    event = bidEvent(nextBid(eventId, random, eventTimestamp, config));
  }
  return { eventTimestamp, event, watermark, dueTimestamp, eventId };
}

/** Spreads consecutive event ids over the seeds of the delay draws (2^64 / golden ratio). */
const DELAY_SEED_MULTIPLIER = 0x9e3779b97f4a7c15n;

/**
 * How long, in ms, the rate-limited streaming source holds back the event with id
 * `eventId`: 0 (not held) or 1 to `occasionalDelaySec` × 1000.
 *
 * Beam's UnboundedEventSource.EventReader.advance() makes this decision for each event right
 * after Generator.nextEvent() (so the event's own draws are untouched), only when the source
 * is rate-limited, `probDelayedEvent` > 0 and `occasionalDelaySec` > 0: the event is held
 * when `ThreadLocalRandom.nextDouble() < probDelayedEvent`, and then for
 * `ThreadLocalRandom.nextLong(occasionalDelaySec * 1000) + 1` ms. Beam's draws are not
 * reproducible; here the same two draws (nextDouble, then nextInt(occasionalDelaySec × 1000)
 * + 1) come from a java.util.Random seeded with `(eventId + 1) × 0x9E3779B97F4A7C15` (mod
 * 2^64; consecutive seeds would give nearly equal first draws), so the delays are a pure
 * function of the configuration and the event, like the events themselves.
 */
export function eventDelayMs(config: NexmarkConfiguration, eventId: number, random: JavaRandom = new JavaRandom()): number {
  if (!config.isRateLimited || !(config.probDelayedEvent > 0) || !(config.occasionalDelaySec > 0)) return 0;
  random.setSeed(BigInt.asUintN(64, (BigInt(eventId) + 1n) * DELAY_SEED_MULTIPLIER));
  if (!(random.nextDouble() < config.probDelayedEvent)) return 0;
  return random.nextInt(config.occasionalDelaySec * 1000) + 1;
}

/** The events of one generator config, in order (Beam's Generator as an iterator). */
export class Generator implements IterableIterator<TimestampedEvent> {
  private readonly random = new JavaRandom();

  constructor(
    private config: GeneratorConfig,
    private eventsCountSoFar = 0,
  ) {}

  /** The config; replaced by `splitAtEventId`. */
  get currentConfig(): GeneratorConfig {
    return this.config;
  }

  /** Events produced so far. */
  get count(): number {
    return this.eventsCountSoFar;
  }

  /** The id of the next event. */
  get nextEventId(): number {
    return this.config.firstEventId + this.config.nextAdjustedEventNumber(this.eventsCountSoFar);
  }

  hasNext(): boolean {
    return this.eventsCountSoFar < this.config.maxEvents;
  }

  /** The next event with its times. */
  nextEvent(): NextEvent {
    if (!this.hasNext()) throw new RangeError("Generator: no more events.");
    return eventAt(this.config, this.eventsCountSoFar++, this.random);
  }

  next(): IteratorResult<TimestampedEvent> {
    if (!this.hasNext()) return { done: true, value: undefined };
    const e = this.nextEvent();
    return { done: false, value: { event: e.event, timestamp: e.eventTimestamp } };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /**
   * Stops this generator before event id `eventId` and returns the config of the events
   * it will no longer produce (they follow on the same timeline).
   */
  splitAtEventId(eventId: number): GeneratorConfig {
    const c = this.config;
    const newMaxEvents = eventId - (c.firstEventId + c.firstEventNumber);
    const rest = c.copyWith(c.firstEventId, c.maxEvents - newMaxEvents, c.firstEventNumber + newMaxEvents);
    this.config = c.copyWith(c.firstEventId, newMaxEvents, c.firstEventNumber);
    return rest;
  }
}

/**
 * All events of a run from one generator, as Beam's query models read them
 * (NexmarkUtils.standardEventIterator).
 */
export function standardEvents(configuration: NexmarkConfiguration): Generator {
  return new Generator(standardGeneratorConfig(configuration));
}

/**
 * All events of a run as the split source produces them (one generator per
 * `numEventGenerators`, on parallel timelines), merged into timestamp order (ties by
 * generator). With one generator this is `standardEvents`.
 */
export function* splitEventsInTimeOrder(configuration: NexmarkConfiguration): IterableIterator<TimestampedEvent> {
  const generators = standardGeneratorConfig(configuration)
    .split(configuration.numEventGenerators)
    .map((c) => new Generator(c));
  const heads = generators.map((g) => g.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && (best < 0 || h.value.timestamp < (heads[best]!.value as TimestampedEvent).timestamp)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.value as TimestampedEvent;
    heads[best] = generators[best]!.next();
  }
}
