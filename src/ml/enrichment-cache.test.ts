import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnrichmentCache } from "./enrichment-cache.js";

describe("EnrichmentCache", () => {
  it("forgets an entry ttlMs after it was set, and remembers missing keys as missing", () => {
    let now = 0;
    const cache = new EnrichmentCache<string>(1000, 10, () => now);
    cache.set("a", "A");
    cache.set("gone", undefined);
    now = 999;
    expect(cache.get("a")).toEqual({ value: "A" });
    expect(cache.get("gone")).toEqual({ value: undefined });
    now = 1000;
    expect(cache.get("a")).toBeUndefined();
  });

  it("holds at most maxEntries, evicting the least recently used (property against a reference LRU)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 8 }))), (max, ops) => {
        const cache = new EnrichmentCache<number>(Infinity, max);
        const order: number[] = []; // reference: least recently used first
        for (const [isSet, k] of ops) {
          const key = String(k);
          if (isSet) {
            cache.set(key, k);
            const at = order.indexOf(k);
            if (at >= 0) order.splice(at, 1);
            order.push(k);
            if (order.length > max) order.shift();
          } else {
            const got = cache.get(key);
            expect(got === undefined).toBe(!order.includes(k));
            if (order.includes(k)) {
              order.splice(order.indexOf(k), 1);
              order.push(k);
            }
          }
          expect(cache.size).toBe(order.length);
        }
      }),
    );
  });
});
