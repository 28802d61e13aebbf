/**
 * Model of query 5: per sliding window, the auctions with the most bids and that count.
 * (Beam's Query5Model compares the values alone; this one keeps the windows.)
 */
import type { AuctionCount } from "../model.js";
import { canonical, slidingWindowStarts, sorted, windowString, type QueryModel } from "./model-util.js";

export const query5Model: QueryModel<AuctionCount> = {
  expected(events, config) {
    const size = config.windowSizeSec * 1000;
    const period = config.windowPeriodSec * 1000;
    const counts = new Map<number, Map<number, number>>();
    for (const { event, timestamp } of events) {
      if (event.kind !== "bid") continue;
      for (const start of slidingWindowStarts(timestamp, size, period)) {
        let perAuction = counts.get(start);
        if (perAuction === undefined) counts.set(start, (perAuction = new Map()));
        perAuction.set(event.bid.auction, (perAuction.get(event.bid.auction) ?? 0) + 1);
      }
    }
    const out: string[] = [];
    for (const [start, perAuction] of counts) {
      const top = Math.max(...perAuction.values());
      for (const [auction, num] of perAuction) {
        if (num === top) out.push(`${windowString(start, start + size)} ${canonical({ auction, num })}`);
      }
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => `${o.window} ${canonical(o.value)}`)),
};
