/**
 * The winning bids of all auctions, by the rules of Beam's WinningBids: a bid counts for
 * an auction when it is for that auction, made before it expires and at or above its
 * reserve; the highest price wins, then the earliest. Auctions without a valid bid have no
 * result; bids for auctions never created are dropped. The result's timestamp is the end
 * of the auction's window, expires - 1, where the pipeline's grouping emits it.
 *
 * Beam's WinningBidsSimulator walks the events in order instead and uses `expires` as the
 * timestamp; it can also count a bid made at an auction's very expiry when the event
 * before it was earlier (it retires auctions only by the previous event's time).
 */
import { isBetterBid } from "../queries/winning-bids.js";
import type { Auction, AuctionBid, Bid, TimestampedEvent } from "../model.js";

/** A winning bid with the timestamp the pipeline gives it. */
export interface TimestampedAuctionBid {
  readonly value: AuctionBid;
  readonly timestamp: number;
}

export function winningBidsModel(events: Iterable<TimestampedEvent>): TimestampedAuctionBid[] {
  const auctions = new Map<number, Auction>();
  const bids = new Map<number, Bid[]>();
  for (const { event } of events) {
    if (event.kind === "auction") auctions.set(event.newAuction.id, event.newAuction);
    else if (event.kind === "bid") {
      let list = bids.get(event.bid.auction);
      if (list === undefined) bids.set(event.bid.auction, (list = []));
      list.push(event.bid);
    }
  }
  const out: TimestampedAuctionBid[] = [];
  for (const auction of auctions.values()) {
    let best: Bid | undefined;
    for (const bid of bids.get(auction.id) ?? []) {
      if (bid.dateTime >= auction.expires || bid.price < auction.reserve) continue;
      if (best === undefined || isBetterBid(bid, best)) best = bid;
    }
    if (best !== undefined) out.push({ value: { auction, bid: best }, timestamp: auction.expires - 1 });
  }
  return out;
}
