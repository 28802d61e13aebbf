/**
 * Query 2, selection: the auction and price of the bids on every `auctionSkip`th auction
 * (Beam's variant of "bids on auctions 1007, 1020, 2001, 2019 and 2087").
 *
 *   SELECT Rstream(auction, price) FROM Bid [NOW] WHERE auction % auctionSkip = 0;
 */
import { parDo, ptransform, type PCollection } from "../../../src/index.js";
import type { AuctionPrice, Bid, Event } from "../model.js";
import { justBids, type QueryFactory } from "./query-util.js";

export const query2: QueryFactory<AuctionPrice> = (config) => ({
  name: "Query2",
  transform: ptransform("Query2", (events: PCollection<Event>) =>
    events.apply(justBids()).apply(
      "Project",
      parDo<Bid, AuctionPrice>({
        process(bid, ctx) {
          if (bid.auction % config.auctionSkip === 0) ctx.output({ auction: bid.auction, price: bid.price });
        },
      }),
    ),
  ),
});
