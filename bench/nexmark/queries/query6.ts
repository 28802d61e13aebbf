/**
 * Query 6, average selling price by seller: the average of the last 10 winning bids of
 * each seller, updated on every winning bid.
 *
 *   SELECT Istream(AVG(Q.final), Q.seller)
 *   FROM (SELECT Rstream(MAX(B.price) AS final, A.seller)
 *         FROM Auction A [ROWS UNBOUNDED], Bid B [ROWS UNBOUNDED]
 *         WHERE A.id=B.auction AND B.datetime < A.expires AND A.expires < CURRENT_TIME
 *         GROUP BY A.id, A.seller) [PARTITION BY A.seller ROWS 10] Q
 *   GROUP BY Q.seller;
 */
import { Triggers, combinePerKey, globalWindows, kv, map, ptransform, windowInto, type CombineFn, type KV, type PCollection } from "../../../src/index.js";
import type { AuctionBid, Bid, Event, SellerPrice } from "../model.js";
import type { QueryFactory } from "./query-util.js";
import { auctionsAndBids, winningBids } from "./winning-bids.js";

/** Bids by time, then price (Beam's Bid.ASCENDING_TIME_THEN_PRICE). */
export const ascendingTimeThenPrice = (a: Bid, b: Bid): number => a.dateTime - b.dateTime || a.price - b.price;

/** Beam's MovingMeanSellingPrice: the rounded mean price of the latest `maxNumBids` bids. */
export function movingMeanSellingPrice(maxNumBids: number): CombineFn<Bid, Bid[], number> {
  return {
    name: "MovingMeanSellingPrice",
    createAccumulator: () => [],
    addInput(acc, bid) {
      acc.push(bid);
      acc.sort(ascendingTimeThenPrice);
      if (acc.length > maxNumBids) acc.shift();
      return acc;
    },
    mergeAccumulators(accs) {
      const all = [...accs].flat().sort(ascendingTimeThenPrice);
      return all.length > maxNumBids ? all.slice(all.length - maxNumBids) : all;
    },
    extractOutput(acc) {
      if (acc.length === 0) return 0;
      let sum = 0;
      for (const b of acc) sum += b.price;
      return Math.round(sum / acc.length);
    },
  };
}

export const query6: QueryFactory<SellerPrice> = (config) => ({
  name: "Query6",
  transform: ptransform("Query6", (events: PCollection<Event>) =>
    events
      .apply("AuctionsAndBids", auctionsAndBids())
      .apply(winningBids(config))
      .apply("Rekey", map((w: AuctionBid) => kv(w.auction.seller, w.bid)))
      .apply(
        windowInto(globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterCount(1)),
          accumulationMode: "ACCUMULATING",
          allowedLateness: 0,
        }),
      )
      .apply("MovingMean", combinePerKey(movingMeanSellingPrice(10)))
      .apply("Select", map((e: KV<number, number>): SellerPrice => ({ seller: e.key, price: e.value }))),
  ),
});
