import {
  Triggers,
  combinePerKey,
  count,
  generateSequence,
  kv,
  map,
  ptransform,
  sessions,
  windowInto,
  type Duration,
  type Instant,
  type KV,
  type PBegin,
  type PCollection,
  type PTransform,
} from "../../src/index.js";

/** A user's click: user and page. */
export type Click = KV<string, string>;

const USERS = ["ada", "grace", "alan", "edsger", "barbara", "donald"];
const PAGES = ["home", "search", "item", "cart", "checkout"];

/** Options of syntheticClicks. */
export interface ClickOptions {
  /** Clicks per second of processing time. */
  readonly rate: number;
  /** Event time of the first click. */
  readonly start: Instant;
  /** How far behind every 13th click's timestamp is (late data). */
  readonly delay: Duration;
  /** Stop after this many clicks (default: never). */
  readonly count?: number;
}

/**
 * Synthetic clicks from the generator source: `rate` per second, users taking turns in
 * 4-second bursts (so sessions end), and every 13th click `delay` ms older than its
 * neighbours, so it arrives behind the watermark as late data.
 */
export function syntheticClicks(options: ClickOptions): PTransform<PBegin, PCollection<Click>> {
  const { rate, start, delay } = options;
  const spacing = 1000 / rate;
  return ptransform("SyntheticClicks", (input: PBegin) =>
    input
      .apply(
        "Generate",
        generateSequence({
          rate: { elements: rate, period: 1000 },
          ...(options.count === undefined ? {} : { to: options.count }),
          timestamp: (n) => start + Math.floor(n * spacing) - (n % 13 === 12 ? delay : 0),
        }),
      )
      .apply(
        "ToClick",
        map((n: number): Click => {
          const burst = Math.floor((n * spacing) / 4000);
          return kv(USERS[(burst + (n % 2)) % USERS.length]!, PAGES[n % PAGES.length]!);
        }),
      ),
  );
}

/** Options of sessionCounts. */
export interface SessionOptions {
  /** Inactivity that ends a session. */
  readonly gap: Duration;
  /** Speculative (EARLY) results this long after the first click of a pane. */
  readonly earlyEvery: Duration;
  /** How long after a session's end late clicks still update it. */
  readonly allowedLateness: Duration;
}

/**
 * Clicks per user session, with early results while the session is open, the on-time
 * result when the watermark passes its end, and a late update for every late click.
 * Panes accumulate: each one carries the whole count so far.
 */
export function sessionCounts(options: SessionOptions): PTransform<PCollection<Click>, PCollection<KV<string, number>>> {
  return ptransform("SessionCounts", (clicks: PCollection<Click>) =>
    clicks
      .apply(
        "Sessions",
        windowInto(sessions(options.gap), {
          trigger: Triggers.afterWatermark({
            early: Triggers.afterProcessingTime(options.earlyEvery),
            late: Triggers.afterCount(1),
          }),
          accumulationMode: "ACCUMULATING",
          allowedLateness: options.allowedLateness,
        }),
      )
      .apply("Count", combinePerKey(count())),
  );
}
