import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../model/index.js";
import {
  ManualWatermarkEstimator,
  MonotonicallyIncreasingWatermarkEstimator,
  observesTimestamps,
  validateWatermarkWithinBounds,
  WallTimeWatermarkEstimator,
  type WatermarkEstimator,
} from "./watermark-estimators.js";

describe("ManualWatermarkEstimator", () => {
  it("reports the initial watermark until one is set", () => {
    const e = new ManualWatermarkEstimator(100);
    expect(e.currentWatermark()).toBe(100);
    expect(e.getState()).toBe(100);
  });

  it("advances to a later watermark that was set", () => {
    const e = new ManualWatermarkEstimator(100);
    e.setWatermark(250);
    expect(e.currentWatermark()).toBe(250);
    expect(e.getState()).toBe(250);
  });

  it("never goes backwards: an earlier watermark is ignored, as in Beam's Java SDK", () => {
    const e = new ManualWatermarkEstimator(100);
    e.setWatermark(250);
    e.currentWatermark();
    e.setWatermark(200);
    expect(e.currentWatermark()).toBe(250);
  });

  it("rejects a watermark outside Beam's timestamp bounds", () => {
    expect(() => new ManualWatermarkEstimator(MIN_TIMESTAMP - 1000)).toThrow(
      `Provided watermark ${MIN_TIMESTAMP - 1000} must be within bounds`,
    );
    expect(() => new ManualWatermarkEstimator(0).setWatermark(MAX_TIMESTAMP + 1000)).toThrow("must be within bounds");
    expect(() => new ManualWatermarkEstimator(Number.NaN)).toThrow("Provided watermark NaN must be within bounds");
  });

  it("does not observe output timestamps", () => {
    expect(observesTimestamps(new ManualWatermarkEstimator(0))).toBe(false);
  });
});

describe("MonotonicallyIncreasingWatermarkEstimator", () => {
  it("follows the observed output timestamps", () => {
    const e = new MonotonicallyIncreasingWatermarkEstimator(MIN_TIMESTAMP);
    e.observeTimestamp(10);
    expect(e.currentWatermark()).toBe(10);
    e.observeTimestamp(20);
    expect(e.currentWatermark()).toBe(20);
    expect(e.getState()).toBe(20);
  });

  it("holds its watermark when a timestamp goes backwards", () => {
    const e = new MonotonicallyIncreasingWatermarkEstimator(MIN_TIMESTAMP);
    e.observeTimestamp(20);
    e.currentWatermark();
    e.observeTimestamp(5);
    expect(e.currentWatermark()).toBe(20);
  });

  it("moves to the last observed timestamp, as Beam does, not to the largest one", () => {
    const e = new MonotonicallyIncreasingWatermarkEstimator(0);
    e.observeTimestamp(20);
    e.observeTimestamp(15);
    expect(e.currentWatermark()).toBe(15);
  });

  it("observes output timestamps", () => {
    expect(observesTimestamps(new MonotonicallyIncreasingWatermarkEstimator(0))).toBe(true);
  });
});

describe("WallTimeWatermarkEstimator", () => {
  it("follows the clock", () => {
    let now = 1_000;
    const e = new WallTimeWatermarkEstimator(MIN_TIMESTAMP, () => now);
    expect(e.currentWatermark()).toBe(1_000);
    now = 5_000;
    expect(e.currentWatermark()).toBe(5_000);
    expect(e.getState()).toBe(5_000);
  });

  it("never goes backwards when the clock does", () => {
    let now = 5_000;
    const e = new WallTimeWatermarkEstimator(MIN_TIMESTAMP, () => now);
    e.currentWatermark();
    now = 4_000;
    expect(e.currentWatermark()).toBe(5_000);
  });

  it("keeps a resumed watermark that is ahead of the clock", () => {
    const e = new WallTimeWatermarkEstimator(9_000, () => 1_000);
    expect(e.currentWatermark()).toBe(9_000);
  });

  it("reads Date.now by default", () => {
    const before = Date.now();
    expect(new WallTimeWatermarkEstimator(MIN_TIMESTAMP).currentWatermark()).toBeGreaterThanOrEqual(before);
  });
});

describe("every estimator", () => {
  const instant = fc.integer({ min: -1_000_000, max: 1_000_000 });
  const event = fc.oneof(
    instant.map((t) => ({ kind: "input" as const, t })),
    fc.constant({ kind: "read" as const }),
  );

  /** Each estimator with the way its input is fed: set, observed, or the clock moving. */
  const kinds: Record<string, (initial: number) => { e: WatermarkEstimator<number>; feed: (t: number) => void }> = {
    manual: (initial) => {
      const e = new ManualWatermarkEstimator(initial);
      return { e, feed: (t) => e.setWatermark(t) };
    },
    monotonic: (initial) => {
      const e = new MonotonicallyIncreasingWatermarkEstimator(initial);
      return { e, feed: (t) => e.observeTimestamp(t) };
    },
    wallTime: (initial) => {
      let clock = MIN_TIMESTAMP;
      const e = new WallTimeWatermarkEstimator(initial, () => clock);
      return { e, feed: (t) => void (clock = t) };
    },
  };

  for (const [name, make] of Object.entries(kinds)) {
    it(`${name}: reports a watermark that never decreases and never falls below its initial one`, () => {
      fc.assert(
        fc.property(instant, fc.array(event, { maxLength: 50 }), (initial, events) => {
          const { e, feed } = make(initial);
          let last = e.currentWatermark();
          expect(last).toBe(initial);
          for (const ev of events) {
            if (ev.kind === "input") {
              feed(ev.t);
              continue;
            }
            const w = e.currentWatermark();
            expect(w).toBeGreaterThanOrEqual(last);
            expect(e.getState()).toBe(w);
            last = w;
          }
        }),
      );
    });
  }
});

describe("validateWatermarkWithinBounds", () => {
  it("accepts the extremes themselves", () => {
    expect(() => validateWatermarkWithinBounds(MIN_TIMESTAMP)).not.toThrow();
    expect(() => validateWatermarkWithinBounds(MAX_TIMESTAMP)).not.toThrow();
  });
});
