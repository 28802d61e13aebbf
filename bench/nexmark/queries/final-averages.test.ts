import { describe, expect, it } from "vitest";
import { nexmarkConfiguration } from "../config.js";
import { splitEventsInTimeOrder } from "../generator.js";
import type { SellerPrice } from "../model.js";
import { MODELS } from "../models/index.js";
import { runQuery } from "../run-query.js";
import { digestTerm, finalAveragesOf } from "./final-averages.js";

describe("query 6's final averages", () => {
  it("computes each digest term exactly, as Java's longs do", () => {
    // ((seller mod p) · 1,000,003 + average)² mod p, p = 2^31 - 1, computed exactly elsewhere.
    expect(digestTerm(1, 2)).toBe(1_430_104_170);
    expect(digestTerm(4_000_000_123, 99_999_999)).toBe(7_104_046);
    expect(digestTerm(0, 0)).toBe(0);
  });

  it("summarises (seller, average) pairs whatever their order", () => {
    const pairs: SellerPrice[] = [
      { seller: 1, price: 2 },
      { seller: 7, price: 300 },
    ];
    expect(finalAveragesOf(pairs)).toEqual({ sellers: 2, sum: 302, digest: digestTerm(1, 2) + digestTerm(7, 300) });
    expect(finalAveragesOf([...pairs].reverse())).toEqual(finalAveragesOf(pairs));
    // Swapping the averages between sellers changes the digest, not the sum.
    expect(finalAveragesOf([{ seller: 1, price: 300 }, { seller: 7, price: 2 }]).digest).not.toBe(finalAveragesOf(pairs).digest);
  });

  it("records each seller's last pane, the model's result, however many panes the bundling makes", async () => {
    const config = nexmarkConfiguration({ numEvents: 5_000 });
    const model = MODELS[6]!.expected(splitEventsInTimeOrder(config), config).map((s) => JSON.parse(s) as SellerPrice);
    expect(model.length).toBeGreaterThan(0);
    const expected = finalAveragesOf(model);
    const big = await runQuery(config, 6, { finalAverages: true });
    const small = await runQuery(config, 6, { finalAverages: true, pipelineOptions: { bundleSize: 7 } });
    // Smaller bundles fire the per-element trigger more often: more panes, same final averages.
    expect(small.resultCount).toBeGreaterThan(big.resultCount);
    expect(big.finalAverages).toEqual(expected);
    expect(small.finalAverages).toEqual(expected);
    // Without the option nothing extra runs.
    expect((await runQuery(config, 6)).finalAverages).toBeUndefined();
  }, 60_000);
});
