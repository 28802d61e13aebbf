/**
 * Query 5, hot items: the auctions with the most bids in each sliding window of
 * `windowSizeSec` every `windowPeriodSec` (with their bid count).
 *
 *   SELECT Rstream(auction)
 *   FROM (SELECT B1.auction, count(*) AS num FROM Bid [RANGE 60 MINUTE SLIDE 1 MINUTE] B1 GROUP BY B1.auction)
 *   WHERE num >= ALL (SELECT count(*) FROM Bid [RANGE 60 MINUTE SLIDE 1 MINUTE] B2 GROUP BY B2.auction);
 */
import { countPerElement, flatMap, map, ptransform, slidingWindows, windowInto, type CombineFn, type KV, type PCollection } from "../../../src/index.js";
import type { AuctionCount, Bid, Event } from "../model.js";
import { combineGloballyWithFanout, justBids, type QueryFactory } from "./query-util.js";

/** The auctions with the top count so far. */
interface TopAccumulator {
  auctions: number[];
  count: number;
}

/** Beam's Query5.TopCombineFn: keeps every auction with the highest count. */
export const topAuctions: CombineFn<KV<number, number>, TopAccumulator, TopAccumulator> = {
  name: "TopAuctions",
  createAccumulator: () => ({ auctions: [], count: 0 }),
  addInput(acc, input) {
    if (input.value > acc.count) return { auctions: [input.key], count: input.value };
    if (input.value === acc.count) acc.auctions.push(input.key);
    return acc;
  },
  mergeAccumulators(accs) {
    let result: TopAccumulator = { auctions: [], count: 0 };
    for (const a of accs) {
      if (a.count > result.count) result = { auctions: [...a.auctions], count: a.count };
      else if (a.count === result.count) result.auctions.push(...a.auctions);
    }
    return result;
  },
  extractOutput: (acc) => acc,
};

export const query5: QueryFactory<AuctionCount> = (config) => ({
  name: "Query5",
  transform: ptransform("Query5", (events: PCollection<Event>) =>
    events
      .apply(justBids())
      .apply(windowInto(slidingWindows(config.windowSizeSec * 1000, config.windowPeriodSec * 1000)))
      .apply("BidToAuction", map((b: Bid) => b.auction))
      .apply(countPerElement<number>())
      .apply(combineGloballyWithFanout(topAuctions, config.fanout))
      .apply("Select", flatMap((top: TopAccumulator) => top.auctions.map((auction): AuctionCount => ({ auction, num: top.count })))),
  ),
});
