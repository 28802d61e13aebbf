/**
 * Beam's WinningBids: the winning bid of each closed auction, found with a custom merging
 * WindowFn instead of global state.
 *
 *   SELECT Rstream(A.*, B.auction, B.bidder, MAX(B.price), B.dateTime)
 *   FROM Auction A [ROWS UNBOUNDED], Bid B [ROWS UNBOUNDED]
 *   WHERE A.id = B.auction AND B.datetime < A.expires AND A.expires < CURRENT_TIME
 *   GROUP BY A.id
 *
 * An auction gets the window [its time, its expiry); a bid gets a provisional window
 * [its time, its time + twice the expected auction length). Per auction id, bid windows
 * that start before the auction's window ends merge into it, so when the watermark passes
 * the expiry the auction and its valid bids are grouped together. Bid windows that never
 * merge (too late, or no such auction) expire on their own and yield nothing. The winner
 * is the highest bid at or above the reserve, the earliest of equal ones.
 */
import {
  coGroupByKey,
  intervalWindowCoder,
  IntervalWindow,
  kv,
  kvCoder,
  parDo,
  ptransform,
  varIntCoder,
  windowInto,
  type BoundedWindow,
  type ByteReader,
  type ByteWriter,
  type Coder,
  type KV,
  type PCollection,
  type PTransform,
  type WindowFn,
  type WindowMerge,
} from "../../../src/index.js";
import { auctionCoder, bidCoder } from "../coders.js";
import { interEventDelayUs, type NexmarkConfiguration } from "../config.js";
import { AUCTION_PROPORTION, PROPORTION_DENOMINATOR } from "../generator-config.js";
import type { Auction, AuctionBid, Bid, Event } from "../model.js";
import { justBids, justNewAuctions } from "./query-util.js";

/**
 * The window of an auction ([dateTime, expires)), or the provisional window of a bid for
 * auction `auction`. Equal windows have equal ids.
 */
export class AuctionOrBidWindow implements BoundedWindow {
  #id: string | undefined;
  constructor(
    readonly start: number,
    readonly end: number,
    readonly auction: number,
    readonly isAuctionWindow: boolean,
  ) {}

  static forAuction(timestamp: number, auction: Auction): AuctionOrBidWindow {
    return new AuctionOrBidWindow(timestamp, auction.expires, auction.id, true);
  }

  /**
   * A bid may be for an auction not seen yet, or already closed: its window lasts as long
   * as the longest auction starting with it could, so it never holds the watermark forever.
   */
  static forBid(expectedAuctionDurationMs: number, timestamp: number, bid: Bid): AuctionOrBidWindow {
    return new AuctionOrBidWindow(timestamp, timestamp + expectedAuctionDurationMs * 2, bid.auction, false);
  }

  maxTimestamp(): number {
    return this.end - 1;
  }

  id(): string {
    return (this.#id ??= `${this.isAuctionWindow ? "A" : "B"}${this.auction}:${this.start}:${this.end}`);
  }

  toString(): string {
    return `AuctionOrBidWindow{start:${this.start}; end:${this.end}; auction:${this.auction}; isAuctionWindow:${this.isAuctionWindow}}`;
  }
}

/** Beam's AuctionOrBidWindowCoder: the interval window, the auction id, 1/0 for the kind. */
export const auctionOrBidWindowCoder: Coder<AuctionOrBidWindow> = {
  urn: "beam-ts:coder:nexmark_auction_or_bid_window:v1",
  components: [],
  deterministic: true,
  encode(w: AuctionOrBidWindow, writer: ByteWriter) {
    intervalWindowCoder.encode(new IntervalWindow(w.start, w.end), writer, true);
    varIntCoder.encode(w.auction, writer, true);
    varIntCoder.encode(w.isAuctionWindow ? 1 : 0, writer, true);
  },
  decode(reader: ByteReader) {
    const iw = intervalWindowCoder.decode(reader, true);
    const auction = varIntCoder.decode(reader, true);
    return new AuctionOrBidWindow(iw.start, iw.end, auction, varIntCoder.decode(reader, true) !== 0);
  },
  toString: () => "AuctionOrBidWindowCoder",
};

/**
 * The expected length of an auction (ms) at the lowest event rate: the time for
 * `numInFlightAuctions` auctions to be created (Beam's WinningBids constructor).
 */
export function expectedAuctionDurationMs(config: NexmarkConfiguration): number {
  const delays = interEventDelayUs(config.rateShape, config.firstEventRate, config.nextEventRate, config.rateUnit, config.numEventGenerators);
  let longestDelayUs = Math.max(...delays);
  longestDelayUs = Math.floor((longestDelayUs * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  longestDelayUs *= config.numInFlightAuctions;
  return Math.floor((longestDelayUs + 999) / 1000);
}

/** Assigns auctions and bids to AuctionOrBidWindows and merges bids into their auction. */
export function auctionOrBidWindowFn(expectedDurationMs: number): WindowFn<AuctionOrBidWindow> {
  return {
    urn: "beam-ts:nexmark:auction_or_bid_window_fn:v1",
    isMerging: true,
    windowCoder: auctionOrBidWindowCoder,
    assignWindows({ element, timestamp }) {
      const e = element as Event;
      if (e.kind === "auction") return [AuctionOrBidWindow.forAuction(timestamp, e.newAuction)];
      if (e.kind === "bid") return [AuctionOrBidWindow.forBid(expectedDurationMs, timestamp, e.bid)];
      throw new TypeError(`AuctionOrBidWindowFn assigns windows to auctions and bids only, got a ${e.kind} event.`);
    },
    mergeWindows(windows: readonly AuctionOrBidWindow[]): WindowMerge<AuctionOrBidWindow>[] {
      const auctionWindows = new Map<number, AuctionOrBidWindow>();
      const bidWindows = new Map<number, AuctionOrBidWindow[]>();
      for (const w of windows) {
        if (w.isAuctionWindow) auctionWindows.set(w.auction, w);
        else {
          let list = bidWindows.get(w.auction);
          if (list === undefined) bidWindows.set(w.auction, (list = []));
          list.push(w);
        }
      }
      const merges: WindowMerge<AuctionOrBidWindow>[] = [];
      for (const [auction, auctionWindow] of auctionWindows) {
        // Bids starting at or after the auction's end stay alone and expire without output.
        const toMerge = (bidWindows.get(auction) ?? []).filter((b) => b.start < auctionWindow.end);
        if (toMerge.length > 0) merges.push({ from: [...toMerge, auctionWindow], result: auctionWindow });
      }
      return merges;
    },
    toString: () => `AuctionOrBidWindowFn(${expectedDurationMs}ms)`,
  };
}

/** The better of two valid bids: higher price, then earlier (Beam's PRICE_THEN_DESCENDING_TIME). */
export function isBetterBid(bid: Bid, best: Bid): boolean {
  return bid.price > best.price || (bid.price === best.price && bid.dateTime < best.dateTime);
}

/** Beam's WinningBids transform over auction and bid events (other events are an error). */
export function winningBids(config: NexmarkConfiguration): PTransform<PCollection<Event>, PCollection<AuctionBid>> {
  const windowFn = auctionOrBidWindowFn(expectedAuctionDurationMs(config));
  return ptransform("WinningBids", (events: PCollection<Event>) => {
    const windowed = events.apply("Window", windowInto(windowFn));
    const auctionsById = windowed
      .apply(justNewAuctions())
      .apply("AuctionById", parDo<Auction, KV<number, Auction>>({ process: (a, ctx) => ctx.output(kv(a.id, a)) }))
      .withCoder(kvCoder(varIntCoder, auctionCoder));
    const bidsByAuction = windowed
      .apply(justBids())
      .apply("BidByAuction", parDo<Bid, KV<number, Bid>>({ process: (b, ctx) => ctx.output(kv(b.auction, b)) }))
      .withCoder(kvCoder(varIntCoder, bidCoder));
    return coGroupByKey({ auctions: auctionsById, bids: bidsByAuction }).apply(
      "Join",
      parDo<KV<number, { auctions: Auction[]; bids: Bid[] }>, AuctionBid>({
        process({ value }, ctx) {
          const auction = value.auctions[0];
          // Bids without their auction: give up (Beam counts them as noAuction).
          if (auction === undefined) return;
          let best: Bid | undefined;
          for (const bid of value.bids) {
            if (bid.price < auction.reserve) continue;
            if (best === undefined || isBetterBid(bid, best)) best = bid;
          }
          if (best !== undefined) ctx.output({ auction, bid: best });
        },
      }),
    );
  });
}

/** Keeps auction and bid events (Beam's AuctionOrBid filter before WinningBids). */
export function auctionsAndBids(): PTransform<PCollection<Event>, PCollection<Event>> {
  return parDo<Event, Event>({
    process(e, ctx) {
      if (e.kind !== "person") ctx.output(e);
    },
  });
}
