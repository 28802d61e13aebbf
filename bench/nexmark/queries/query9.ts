/** Query "9", winning bids: Beam's WinningBids on its own (see winning-bids.ts). */
import { ptransform, type PCollection } from "../../../src/index.js";
import type { AuctionBid, Event } from "../model.js";
import type { QueryFactory } from "./query-util.js";
import { auctionsAndBids, winningBids } from "./winning-bids.js";

export const query9: QueryFactory<AuctionBid> = (config) => ({
  name: "Query9",
  transform: ptransform("Query9", (events: PCollection<Event>) => events.apply("AuctionsAndBids", auctionsAndBids()).apply(winningBids(config))),
});
