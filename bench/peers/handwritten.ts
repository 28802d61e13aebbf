/**
 * Nexmark queries 0, 1 and 2 as plain Node loops over our event generator: the "how fast
 * could it be" baseline of `npm run bench:peers`. Each loop reads the events as the
 * source does (one Generator per split of `numEventGenerators`, one after the other) and
 * does the query's work per event, without a pipeline.
 */
import { decodeFromBytes, encodeToBytes } from "../../src/index.js";
import { eventCoder } from "../nexmark/coders.js";
import type { NexmarkConfiguration } from "../nexmark/config.js";
import { standardGeneratorConfig } from "../nexmark/generator-config.js";
import { Generator } from "../nexmark/generator.js";
import type { Event } from "../nexmark/model.js";
import { dollarsToEuros } from "../nexmark/queries/query1.js";

/** The queries with a hand-written loop. */
export const HANDWRITTEN_QUERIES: readonly number[] = [0, 1, 2];

/** What a hand-written run measured. */
export interface HandwrittenRun {
  readonly query: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly resultCount: number;
  /** A value derived from every result, so that no work can be skipped. */
  readonly checksum: number;
}

/** Calls `f` on every event of the run, split by generator as the source splits it. */
function forEachEvent(config: NexmarkConfiguration, f: (e: Event) => void): void {
  for (const split of standardGeneratorConfig(config).split(config.numEventGenerators)) {
    const g = new Generator(split);
    while (g.hasNext()) f(g.nextEvent().event);
  }
}

/** Runs query `query` (0, 1 or 2) as a loop over `config.numEvents` generated events. */
export function runHandwritten(config: NexmarkConfiguration, query: number): HandwrittenRun {
  let resultCount = 0;
  let checksum = 0;
  let body: (e: Event) => void;
  switch (query) {
    case 0:
      // Beam's Query0: every event through the event coder and back.
      body = (e) => {
        const bytes = encodeToBytes(eventCoder, e);
        const back = decodeFromBytes(eventCoder, bytes);
        checksum = (checksum + bytes.length + (back.kind === "bid" ? 1 : 0)) % 1_000_000_007;
        resultCount++;
      };
      break;
    case 1:
      // Beam's Query1: bids with their price converted to euros.
      body = (e) => {
        if (e.kind !== "bid") return;
        const out = { ...e.bid, price: dollarsToEuros(e.bid.price) };
        checksum = (checksum + out.price) % 1_000_000_007;
        resultCount++;
      };
      break;
    case 2: {
      // Beam's Query2: bids of every auctionSkip-th auction, projected to (auction, price).
      const skip = config.auctionSkip;
      body = (e) => {
        if (e.kind !== "bid" || e.bid.auction % skip !== 0) return;
        const out = { auction: e.bid.auction, price: e.bid.price };
        checksum = (checksum + out.auction + out.price) % 1_000_000_007;
        resultCount++;
      };
      break;
    }
    default:
      throw new RangeError(`No hand-written Nexmark query ${query}; queries: ${HANDWRITTEN_QUERIES.join(", ")}.`);
  }
  const t0 = performance.now();
  forEachEvent(config, body);
  const seconds = (performance.now() - t0) / 1000;
  return { query, seconds, eventsPerSec: config.numEvents / seconds, resultCount, checksum };
}
