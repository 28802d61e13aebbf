/**
 * Query 4, average price for a category: the average winning price of the closed
 * auctions in each category, over sliding windows of `windowSizeSec` every
 * `windowPeriodSec` (Beam's variant: only bids at or above the reserve count, the
 * earliest of the highest bids wins).
 *
 *   SELECT Istream(AVG(Q.final))
 *   FROM Category C, (SELECT Rstream(MAX(B.price) AS final, A.category)
 *                     FROM Auction A [ROWS UNBOUNDED], Bid B [ROWS UNBOUNDED]
 *                     WHERE A.id = B.auction AND B.datetime < A.expires AND A.expires < CURRENT_TIME
 *                     GROUP BY A.id, A.category) Q
 *   WHERE Q.category = C.id GROUP BY C.id;
 */
import { combinePerKey, kv, map, mean, ptransform, slidingWindows, windowInto, type KV, type PCollection } from "../../../src/index.js";
import type { AuctionBid, CategoryPrice, Event } from "../model.js";
import type { QueryFactory } from "./query-util.js";
import { auctionsAndBids, winningBids } from "./winning-bids.js";

export const query4: QueryFactory<CategoryPrice> = (config) => ({
  name: "Query4",
  transform: ptransform("Query4", (events: PCollection<Event>) =>
    events
      .apply("AuctionsAndBids", auctionsAndBids())
      .apply(winningBids(config))
      .apply("Rekey", map((w: AuctionBid) => kv(w.auction.category, w.bid.price)))
      .apply(windowInto(slidingWindows(config.windowSizeSec * 1000, config.windowPeriodSec * 1000)))
      .apply("Mean", combinePerKey(mean(), { hotKeyFanout: config.fanout }))
      // isLast lets a checker pick each window's final result.
      .apply("Project", map((e: KV<number, number>, ctx): CategoryPrice => ({ category: e.key, price: Math.round(e.value), isLast: ctx.pane.isLast }))),
  ),
});
