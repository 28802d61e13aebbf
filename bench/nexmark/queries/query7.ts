/**
 * Query 7, highest bid: the bids with the highest price in each fixed window of
 * `windowSizeSec`. As Beam's, it finds the maximum with a combine read back as a side
 * input, to exercise side inputs (a combiner alone, as in query 5, would be cheaper).
 *
 *   SELECT Rstream(B.auction, B.price, B.bidder)
 *   FROM Bid [RANGE 1 MINUTE SLIDE 1 MINUTE] B
 *   WHERE B.price = (SELECT MAX(B1.price) FROM BID [RANGE 1 MINUTE SLIDE 1 MINUTE] B1);
 */
import { asSingleton, fixedWindows, map, max, parDo, ptransform, windowInto, type PCollection } from "../../../src/index.js";
import type { Bid, Event } from "../model.js";
import { combineGloballyWithFanout, justBids, type QueryFactory } from "./query-util.js";

export const query7: QueryFactory<Bid> = (config) => ({
  name: "Query7",
  transform: ptransform("Query7", (events: PCollection<Event>) => {
    const bids = events.apply(justBids()).apply(windowInto(fixedWindows(config.windowSizeSec * 1000)));
    const maxPrice = asSingleton(
      bids.apply("BidToPrice", map((b: Bid) => b.price)).apply(combineGloballyWithFanout(max<number>(), config.fanout)),
    );
    return bids.apply(
      "Select",
      parDo<Bid, Bid>(
        {
          process(bid, ctx) {
            if (bid.price === ctx.sideInput(maxPrice)) ctx.output(bid);
          },
        },
        { sideInputs: [maxPrice] },
      ),
    );
  }),
});
