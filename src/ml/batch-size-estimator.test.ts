import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchSizeEstimator } from "./batch-size-estimator.js";

describe("BatchSizeEstimator", () => {
  it("keeps every size within [minSize, maxSize] whatever the batches measured", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0, max: 5000, noNaN: true }))), (minSize, extra, batches) => {
        const e = new BatchSizeEstimator({ minSize, maxSize: minSize + extra });
        for (const [size, ms] of batches) {
          e.record(size, ms);
          expect(e.nextSize()).toBeGreaterThanOrEqual(minSize);
          expect(e.nextSize()).toBeLessThanOrEqual(minSize + extra);
        }
      }),
    );
  });

  it("grows batches while a fixed per-batch cost dominates, and stops where a batch would outlast targetDurationMs", () => {
    const e = new BatchSizeEstimator({ minSize: 1, maxSize: 10_000, targetDurationMs: 100 });
    // 10 ms per batch plus 0.1 ms per element: the 5% overhead target wants ~1900, the duration caps at 900.
    for (let i = 0; i < 30; i++) {
      const size = e.nextSize();
      e.record(size, 10 + 0.1 * size);
    }
    expect(e.nextSize()).toBeGreaterThanOrEqual(899);
    expect(e.nextSize()).toBeLessThanOrEqual(900);
  });
});
