import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePartitionKey, partitionKey, recordShares } from "./partition-listing.js";

describe("recordShares (maxRecords)", () => {
  it("gives exactly max records in all, never more than a partition holds while others have room, and spreads them evenly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 8 }), (max, available) => {
        const shares = recordShares(max, available);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(max);
        const total = available.reduce((a, b) => a + b, 0);
        if (total >= max) {
          shares.forEach((s, i) => expect(s).toBeLessThanOrEqual(available[i]!));
          // Evenly: a partition short of its records never has fewer than another's share minus one.
          shares.forEach((s, i) => {
            if (s < available[i]!) for (const other of shares) expect(other).toBeLessThanOrEqual(s + 1);
          });
        } else {
          // Everything the topic holds, and the rest waited for on top.
          shares.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(available[i]!));
        }
      }),
    );
  });

  it("takes everything from a short partition and the rest from the others", () => {
    expect(recordShares(7, [1, 10, 10])).toEqual([1, 3, 3]);
  });
});

describe("partitionKey", () => {
  it("round-trips topics whose names hold colons or dots", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(1000), (topic, partition) => {
        expect(parsePartitionKey(partitionKey(topic, partition))).toEqual({ topic, partition });
      }),
    );
  });
});
