/**
 * Model of query 6: per seller, the rounded mean price of their latest 10 winning bids
 * (by bid time, then price), as the seller's last pane reports it.
 */
import type { SellerPrice } from "../model.js";
import { ascendingTimeThenPrice } from "../queries/query6.js";
import type { Bid } from "../model.js";
import { canonical, paneIndex, sorted, type QueryModel } from "./model-util.js";
import { winningBidsModel } from "./winning-bids-model.js";

export const query6Model: QueryModel<SellerPrice> = {
  expected(events) {
    const perSeller = new Map<number, Bid[]>();
    for (const { value } of winningBidsModel(events)) {
      perSeller.set(value.auction.seller, [...(perSeller.get(value.auction.seller) ?? []), value.bid]);
    }
    const out: string[] = [];
    for (const [seller, bids] of perSeller) {
      const last = bids.sort(ascendingTimeThenPrice).slice(-10);
      const total = last.reduce((sum, b) => sum + b.price, 0);
      out.push(canonical({ seller, price: Math.round(total / last.length) }));
    }
    return sorted(out);
  },
  actual(outputs) {
    // Panes accumulate, so each seller's last pane holds all of their winning bids.
    const last = new Map<number, { index: number; value: SellerPrice }>();
    for (const o of outputs) {
      const index = paneIndex(o.pane);
      const seen = last.get(o.value.seller);
      if (seen === undefined || index > seen.index) last.set(o.value.seller, { index, value: o.value });
    }
    return sorted([...last.values()].map((l) => canonical(l.value)));
  },
};
