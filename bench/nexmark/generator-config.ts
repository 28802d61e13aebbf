/**
 * Beam's Nexmark GeneratorConfig: which events one generator produces (a range of event
 * ids) and when, in event time, each of them happens.
 *
 * An event is identified by its generator's `firstEventId` plus its event number. The
 * number fixes the timestamp (base time plus the inter-event delays before it); the id
 * seeds the Random that draws the event and decides its kind (1 person, 3 auctions, 46
 * bids in every 50 ids). Split generators run on parallel timelines: each starts at event
 * number 0, so their timestamps overlap while their ids do not.
 */
import { intDiv, interEventDelayUs, stepLengthSec, type NexmarkConfiguration } from "./config.js";

/** Ids start here so that queries find matches even on small streams. */
export const FIRST_AUCTION_ID = 1000;
export const FIRST_PERSON_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
/** Proportions of people, auctions and bids among events. */
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

/** Event time of the first event unless the wall clock is used: 2015-07-15T00:00:00Z. */
export const BASE_TIME = Date.UTC(2015, 6, 15);

const LONG_MAX = 9_223_372_036_854_775_807n;

/** The events of one generator, and their timestamps. Immutable. */
export class GeneratorConfig {
  /** Delay between events (µs); with several entries the rate changes every `stepLengthSec`. */
  readonly interEventDelayUs: readonly number[];
  readonly stepLengthSec: number;
  /** Events this generator produces. */
  readonly maxEvents: number;
  /** Events and milliseconds in one cycle through all the delays (0 with a single delay). */
  private readonly eventsPerEpoch: number;
  private readonly epochPeriodMs: number;

  /**
   * @param baseTime event time of event number 0 (ms since the epoch)
   * @param firstEventId id of this generator's first event
   * @param maxEvents events this generator produces (0: as many as the counters allow)
   * @param firstEventNumber number of the first event (generators split in time share ids)
   */
  constructor(
    readonly configuration: NexmarkConfiguration,
    readonly baseTime: number,
    readonly firstEventId: number,
    maxEvents: number,
    readonly firstEventNumber: number,
  ) {
    const c = configuration;
    this.interEventDelayUs = interEventDelayUs(c.rateShape, c.firstEventRate, c.nextEventRate, c.rateUnit, c.numEventGenerators);
    this.stepLengthSec = stepLengthSec(c.rateShape, c.ratePeriodSec);
    // Beam scales "unbounded" down so that size estimates cannot overflow a long.
    const largest = Math.max(c.avgPersonByteSize, c.avgAuctionByteSize, c.avgBidByteSize);
    this.maxEvents = maxEvents === 0 ? Number(LONG_MAX / BigInt(PROPORTION_DENOMINATOR * largest)) : maxEvents;
    let eventsPerEpoch = 0;
    let epochPeriodMs = 0;
    if (this.interEventDelayUs.length > 1) {
      for (const delay of this.interEventDelayUs) {
        const events = intDiv(this.stepLengthSec * 1_000_000, delay);
        eventsPerEpoch += events;
        epochPeriodMs += intDiv(events * delay, 1000);
      }
    }
    this.eventsPerEpoch = eventsPerEpoch;
    this.epochPeriodMs = epochPeriodMs;
  }

  /**
   * `n` generators with about equal shares of this one's ids, on parallel timelines (each
   * starts at this one's first event number); the last takes the rounding remainder.
   */
  split(n: number): GeneratorConfig[] {
    if (n === 1) return [this];
    const configs: GeneratorConfig[] = [];
    let subMaxEvents = intDiv(this.maxEvents, n);
    let subFirstEventId = this.firstEventId;
    for (let i = 0; i < n; i++) {
      if (i === n - 1) subMaxEvents = this.maxEvents - subMaxEvents * (n - 1);
      configs.push(this.copyWith(subFirstEventId, subMaxEvents, this.firstEventNumber));
      subFirstEventId += subMaxEvents;
    }
    return configs;
  }

  copyWith(firstEventId: number, maxEvents: number, firstEventNumber: number): GeneratorConfig {
    return new GeneratorConfig(this.configuration, this.baseTime, firstEventId, maxEvents, firstEventNumber);
  }

  /** The first event id this generator can produce. */
  get startEventId(): number {
    return this.firstEventId + this.firstEventNumber;
  }

  /** One past the last event id this generator can produce. */
  get stopEventId(): number {
    return this.firstEventId + this.firstEventNumber + this.maxEvents;
  }

  /** The event number after `numEvents` events. */
  nextEventNumber(numEvents: number): number {
    return this.firstEventNumber + numEvents;
  }

  /**
   * The event number after `numEvents` events, shuffled within its out-of-order group
   * (the identity when `outOfOrderGroupSize` is 1).
   */
  nextAdjustedEventNumber(numEvents: number): number {
    const n = this.configuration.outOfOrderGroupSize;
    const eventNumber = this.firstEventNumber + numEvents;
    return intDiv(eventNumber, n) * n + ((eventNumber * 953) % n);
  }

  /** The event number whose timestamp is a watermark after `numEvents` events: its group's first. */
  nextEventNumberForWatermark(numEvents: number): number {
    const n = this.configuration.outOfOrderGroupSize;
    return intDiv(this.firstEventNumber + numEvents, n) * n;
  }

  /** The event time (ms) of event number `eventNumber`. */
  timestampForEvent(eventNumber: number): number {
    const delays = this.interEventDelayUs;
    if (delays.length === 1) return this.baseTime + intDiv(eventNumber * delays[0]!, 1000);
    return this.timestampAndDelayForEvent(eventNumber)[0];
  }

  /** The event time (ms) of `eventNumber` and the inter-event delay (µs) in force then. */
  timestampAndDelayForEvent(eventNumber: number): [number, number] {
    const delays = this.interEventDelayUs;
    if (delays.length === 1) return [this.baseTime + intDiv(eventNumber * delays[0]!, 1000), delays[0]!];
    const epoch = intDiv(eventNumber, this.eventsPerEpoch);
    let n = eventNumber % this.eventsPerEpoch;
    let offsetInEpochMs = 0;
    for (const delay of delays) {
      const events = intDiv(this.stepLengthSec * 1_000_000, delay);
      if (n < events) {
        return [this.baseTime + epoch * this.epochPeriodMs + offsetInEpochMs + intDiv(n * delay, 1000), delay];
      }
      n -= events;
      offsetInEpochMs += intDiv(events * delay, 1000);
    }
    throw new Error("GeneratorConfig: eventsPerEpoch is inconsistent with the delays (unreachable).");
  }

  /** Estimated bytes of `numEvents` events, by the average sizes. */
  estimatedBytesForEvents(numEvents: number): number {
    const c = this.configuration;
    return (
      intDiv(numEvents * PERSON_PROPORTION, PROPORTION_DENOMINATOR) * c.avgPersonByteSize +
      intDiv(numEvents * AUCTION_PROPORTION, PROPORTION_DENOMINATOR) * c.avgAuctionByteSize +
      intDiv(numEvents * BID_PROPORTION, PROPORTION_DENOMINATOR) * c.avgBidByteSize
    );
  }

  toString(): string {
    return (
      `GeneratorConfig{interEventDelayUs=[${this.interEventDelayUs.join(",")}]; stepLengthSec:${this.stepLengthSec}; ` +
      `baseTime:${this.baseTime}; firstEventId:${this.firstEventId}; maxEvents:${this.maxEvents}; ` +
      `firstEventNumber:${this.firstEventNumber}; epochPeriodMs:${this.epochPeriodMs}; eventsPerEpoch:${this.eventsPerEpoch}}`
    );
  }
}

/**
 * The generator config of a whole run (Beam's NexmarkUtils.standardGeneratorConfig): ids
 * from 0, `numEvents` events, event time from BASE_TIME (or `now` with
 * `useWallclockEventTime`).
 */
export function standardGeneratorConfig(configuration: NexmarkConfiguration, now: number = Date.now()): GeneratorConfig {
  return new GeneratorConfig(configuration, configuration.useWallclockEventTime ? now : BASE_TIME, 0, configuration.numEvents, 0);
}
