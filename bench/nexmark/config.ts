/**
 * Beam's NexmarkConfiguration: the knobs that shape the event stream and the queries, with
 * Beam's defaults, and the rate shapes that turn an event rate into inter-event delays.
 */

/** How the event rate varies over `ratePeriodSec` (Beam's NexmarkUtils.RateShape). */
export type RateShape = "SQUARE" | "SINE";
/** The unit of `firstEventRate` / `nextEventRate` (Beam's NexmarkUtils.RateUnit). */
export type RateUnit = "PER_SECOND" | "PER_MINUTE";

/** Beam's NexmarkConfiguration, the fields that influence events and queries 0–14. */
export interface NexmarkConfiguration {
  /** Events to generate (0: as many as the counters allow). */
  readonly numEvents: number;
  /** Event generators, each with its own timeline (the source is split by them). */
  readonly numEventGenerators: number;
  readonly rateShape: RateShape;
  /** Initial overall event rate, in `rateUnit`. */
  readonly firstEventRate: number;
  /** Next overall event rate, in `rateUnit`. */
  readonly nextEventRate: number;
  readonly rateUnit: RateUnit;
  /** Period of the rate shape, in seconds. */
  readonly ratePeriodSec: number;
  /** In streaming, emit events only when they are due by their timestamp. */
  readonly isRateLimited: boolean;
  /** Use the wall clock as the base of event time (otherwise 2015-07-15T00:00:00Z). */
  readonly useWallclockEventTime: boolean;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
  /** Ratio of bids to 'hot' auctions compared to all other auctions. */
  readonly hotAuctionRatio: number;
  /** Ratio of auctions for 'hot' sellers compared to all other people. */
  readonly hotSellersRatio: number;
  /** Ratio of bids by 'hot' bidders compared to all other people. */
  readonly hotBiddersRatio: number;
  /** Window size, in seconds, for queries 3, 5, 7 and 8. */
  readonly windowSizeSec: number;
  /** Sliding window period, in seconds, for queries 4 and 5. */
  readonly windowPeriodSec: number;
  /** Seconds to hold the source's watermark back. */
  readonly watermarkHoldbackSec: number;
  /** Average number of auctions in flight at any time, per generator. */
  readonly numInFlightAuctions: number;
  /** People considered active for placing auctions or bids. */
  readonly numActivePeople: number;
  /** Query 2 selects the bids of every `auctionSkip`th auction. */
  readonly auctionSkip: number;
  /** Fanout of the combines in queries 4, 5 and 7. */
  readonly fanout: number;
  /** Seconds of event time query 3 keeps a person or pending auctions without activity. */
  readonly maxAuctionsWaitingTime: number;
  /**
   * Longest delay, in seconds, the rate-limited streaming source holds an event back by
   * (Beam's UnboundedEventSource); 0 turns the delays off.
   */
  readonly occasionalDelaySec: number;
  /**
   * Probability that the rate-limited streaming source holds an event back, by 1 ms to
   * `occasionalDelaySec` s, so that it arrives late (behind the watermark), marked "LATE".
   */
  readonly probDelayedEvent: number;
  /** Events per log file before query 10 writes an early pane (Beam's maxLogEvents). */
  readonly maxLogEvents: number;
  /**
   * Directory query 10 writes its log and index files to; "" writes none (Beam's null
   * outputPath). Beam's NexmarkOptions.outputPath (plus its logs subdirectory).
   */
  readonly outputPath: string;
  /** Workers query 10 shards its logs for: 5 shards each (Beam's NexmarkLauncher.maxNumWorkers(), 5). */
  readonly maxNumWorkers: number;
  /** Events per out-of-order group: 1 keeps every generator in timestamp order. */
  readonly outOfOrderGroupSize: number;
  /** Rows of the side input of the side-input joins (query 13). */
  readonly sideInputRowCount: number;
  /** Gap of the session windows of the session side-input join, in ms. */
  readonly sessionGapMs: number;
  /** Keys the portability-batch and reshuffle queries spread events over. */
  readonly numKeyBuckets: number;
}

/** Beam's NexmarkConfiguration.DEFAULT. */
export const DEFAULT_CONFIGURATION: NexmarkConfiguration = Object.freeze({
  numEvents: 100_000,
  numEventGenerators: 100,
  rateShape: "SINE",
  firstEventRate: 10_000,
  nextEventRate: 10_000,
  rateUnit: "PER_SECOND",
  ratePeriodSec: 600,
  isRateLimited: false,
  useWallclockEventTime: false,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  windowSizeSec: 10,
  windowPeriodSec: 5,
  watermarkHoldbackSec: 0,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
  auctionSkip: 123,
  fanout: 5,
  maxAuctionsWaitingTime: 600,
  occasionalDelaySec: 3,
  probDelayedEvent: 0.1,
  maxLogEvents: 100_000,
  outputPath: "",
  maxNumWorkers: 5,
  outOfOrderGroupSize: 1,
  sideInputRowCount: 500,
  sessionGapMs: 600_000,
  numKeyBuckets: 100,
} satisfies NexmarkConfiguration);

/** The defaults with `overrides` applied. */
export function nexmarkConfiguration(overrides: Partial<NexmarkConfiguration> = {}): NexmarkConfiguration {
  const config = { ...DEFAULT_CONFIGURATION, ...overrides };
  for (const key of ["numEventGenerators", "firstEventRate", "nextEventRate", "outOfOrderGroupSize", "windowSizeSec", "windowPeriodSec", "auctionSkip", "maxLogEvents", "maxNumWorkers"] as const) {
    if (!(Number.isSafeInteger(config[key]) && config[key] > 0)) {
      throw new RangeError(`Nexmark configuration: ${key} must be a positive integer, got ${config[key]}.`);
    }
  }
  if (!(config.probDelayedEvent >= 0 && config.probDelayedEvent <= 1)) {
    throw new RangeError(`Nexmark configuration: probDelayedEvent must be in [0, 1], got ${config.probDelayedEvent}.`);
  }
  if (!(Number.isSafeInteger(config.occasionalDelaySec) && config.occasionalDelaySec >= 0 && config.occasionalDelaySec * 1000 < 2 ** 31)) {
    throw new RangeError(`Nexmark configuration: occasionalDelaySec must be a non-negative integer below 2147484, got ${config.occasionalDelaySec}.`);
  }
  if (!(Number.isSafeInteger(config.numEvents) && config.numEvents >= 0)) {
    throw new RangeError(`Nexmark configuration: numEvents must be a non-negative integer, got ${config.numEvents}.`);
  }
  return Object.freeze(config);
}

/** Java's integer division of safe integers (truncating toward zero), exact for any size. */
export function intDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

const US_PER_UNIT: Record<RateUnit, number> = { PER_SECOND: 1_000_000, PER_MINUTE: 60_000_000 };
/** Steps used to approximate a sine wave. */
const SINE_STEPS = 10;

/** Microseconds between events at `rate` per `unit`, rounded to nearest. */
export function rateToPeriodUs(unit: RateUnit, rate: number): number {
  return intDiv(US_PER_UNIT[unit] + intDiv(rate, 2), rate);
}

/**
 * The successive inter-event delays (µs) each of `numGenerators` generators follows so that
 * together they produce the rate shape from `firstRate` to `nextRate`; one delay when the
 * rates are equal.
 */
export function interEventDelayUs(shape: RateShape, firstRate: number, nextRate: number, unit: RateUnit, numGenerators: number): number[] {
  if (firstRate === nextRate) return [rateToPeriodUs(unit, firstRate) * numGenerators];
  if (shape === "SQUARE") return [rateToPeriodUs(unit, firstRate) * numGenerators, rateToPeriodUs(unit, nextRate) * numGenerators];
  const mid = (firstRate + nextRate) / 2.0;
  const amp = (firstRate - nextRate) / 2.0;
  const delays: number[] = [];
  for (let i = 0; i < SINE_STEPS; i++) {
    const rate = mid + amp * Math.cos((2.0 * Math.PI * i) / SINE_STEPS);
    delays.push(rateToPeriodUs(unit, Math.round(rate)) * numGenerators);
  }
  return delays;
}

/** Seconds per step of the shape, so that all steps take `ratePeriodSec` (rounded up). */
export function stepLengthSec(shape: RateShape, ratePeriodSec: number): number {
  const n = shape === "SQUARE" ? 2 : SINE_STEPS;
  return intDiv(ratePeriodSec + n - 1, n);
}
