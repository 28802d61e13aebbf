/**
 * Model of query 4: per sliding window (by the winning bids' timestamps) and category, the
 * rounded mean winning price, as the window's final pane reports it.
 *
 * Beam's Query4Model keeps only each category's last window and compares values alone;
 * this one checks every window.
 */
import type { CategoryPrice } from "../model.js";
import { canonical, slidingWindowStarts, sorted, windowString, type QueryModel } from "./model-util.js";
import { winningBidsModel } from "./winning-bids-model.js";

export const query4Model: QueryModel<CategoryPrice> = {
  expected(events, config) {
    const size = config.windowSizeSec * 1000;
    const period = config.windowPeriodSec * 1000;
    const sums = new Map<string, { window: string; category: number; sum: number; count: number }>();
    for (const { value, timestamp } of winningBidsModel(events)) {
      for (const start of slidingWindowStarts(timestamp, size, period)) {
        const window = windowString(start, start + size);
        const key = `${window}/${value.auction.category}`;
        const s = sums.get(key) ?? { window, category: value.auction.category, sum: 0, count: 0 };
        s.sum += value.bid.price;
        s.count += 1;
        sums.set(key, s);
      }
    }
    return sorted([...sums.values()].map((s) => `${s.window} ${canonical({ category: s.category, price: Math.round(s.sum / s.count), isLast: true })}`));
  },
  actual: (outputs) => sorted(outputs.filter((o) => o.value.isLast).map((o) => `${o.window} ${canonical(o.value)}`)),
};
