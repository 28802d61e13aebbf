/** Models of the stateless queries 0, 1 and 2: one result per (matching) event, with its timestamp. */
import { dollarsToEuros } from "../queries/query1.js";
import type { AuctionPrice, Bid, Event } from "../model.js";
import { canonical, sorted, type QueryModel } from "./model-util.js";

const stamped = (value: unknown, timestamp: number): string => `${canonical(value)}@${timestamp}`;

/** Query 0: every event, at its timestamp. */
export const query0Model: QueryModel<Event> = {
  expected: (events) => sorted([...events].map((e) => stamped(e.event, e.timestamp))),
  actual: (outputs) => sorted(outputs.map((o) => stamped(o.value, o.timestamp))),
};

/** Query 1: every bid with its price in euros, at its timestamp. */
export const query1Model: QueryModel<Bid> = {
  expected(events) {
    const out: string[] = [];
    for (const { event, timestamp } of events) {
      if (event.kind === "bid") out.push(stamped({ ...event.bid, price: dollarsToEuros(event.bid.price) }, timestamp));
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => stamped(o.value, o.timestamp))),
};

/** Query 2: auction and price of the bids on every auctionSkip-th auction, at their timestamps. */
export const query2Model: QueryModel<AuctionPrice> = {
  expected(events, config) {
    const out: string[] = [];
    for (const { event, timestamp } of events) {
      if (event.kind === "bid" && event.bid.auction % config.auctionSkip === 0) {
        out.push(stamped({ auction: event.bid.auction, price: event.bid.price }, timestamp));
      }
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => stamped(o.value, o.timestamp))),
};
