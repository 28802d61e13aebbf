/**
 * Query 1, currency conversion: every bid with its price converted from dollars to euros
 * (× 89 / 100, integer arithmetic as in Beam).
 *
 *   SELECT Istream(auction, DOLTOEUR(price), bidder, datetime) FROM bid [ROWS UNBOUNDED];
 */
import { map, ptransform, type PCollection } from "../../../src/index.js";
import { intDiv } from "../config.js";
import type { Bid, Event } from "../model.js";
import { justBids, type QueryFactory } from "./query-util.js";

/** Dollars to euros, in cents, truncating like Java's long arithmetic. */
export const dollarsToEuros = (price: number): number => intDiv(price * 89, 100);

export const query1: QueryFactory<Bid> = () => ({
  name: "Query1",
  transform: ptransform("Query1", (events: PCollection<Event>) =>
    events.apply(justBids()).apply(
      "ToEuros",
      map((bid: Bid): Bid => ({ ...bid, price: dollarsToEuros(bid.price) })),
    ),
  ),
});
