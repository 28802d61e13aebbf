/**
 * Model of query 7: per fixed window, every bid at the window's highest price, at its own
 * timestamp. (Beam's Query7Model keeps only the last of equally priced bids and compares
 * values alone.)
 */
import type { Bid } from "../model.js";
import { canonical, sorted, windowString, type QueryModel } from "./model-util.js";

export const query7Model: QueryModel<Bid> = {
  expected(events, config) {
    const size = config.windowSizeSec * 1000;
    const best = new Map<number, { price: number; bids: { bid: Bid; timestamp: number }[] }>();
    for (const { event, timestamp } of events) {
      if (event.kind !== "bid") continue;
      const start = timestamp - (((timestamp % size) + size) % size);
      const w = best.get(start);
      if (w === undefined || event.bid.price > w.price) best.set(start, { price: event.bid.price, bids: [{ bid: event.bid, timestamp }] });
      else if (event.bid.price === w.price) w.bids.push({ bid: event.bid, timestamp });
    }
    const out: string[] = [];
    for (const [start, w] of best) {
      for (const { bid, timestamp } of w.bids) out.push(`${windowString(start, start + size)} ${canonical(bid)}@${timestamp}`);
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => `${o.window} ${canonical(o.value)}@${o.timestamp}`)),
};
