import { describe, expect, it } from "vitest";
import { MIN_TIMESTAMP } from "../../model/index.js";
import { PartitionWatermarkEstimator } from "./kafka-watermark.js";

const fresh = { watermark: MIN_TIMESTAMP, maxEventTime: MIN_TIMESTAMP };

describe("PartitionWatermarkEstimator", () => {
  it("holds the watermark while a caught-up partition has been idle less than the idle timeout, then follows processing time", () => {
    const e = new PartitionWatermarkEstimator(fresh, 0, 100, 500);
    e.observe(1_000);
    e.idle(10_000);
    expect(e.currentWatermark()).toBe(1_000);
    e.idle(10_499);
    expect(e.currentWatermark()).toBe(1_000);
    e.idle(10_500);
    expect(e.currentWatermark()).toBe(10_400);
  });

  it("starts the idle timeout again when the partition has records to read", () => {
    const e = new PartitionWatermarkEstimator(fresh, 0, 0, 500);
    e.idle(10_000);
    e.busy();
    e.idle(10_600);
    expect(e.currentWatermark()).toBe(MIN_TIMESTAMP);
    e.idle(11_100);
    expect(e.currentWatermark()).toBe(11_100);
  });

  it("keeps how long the partition has been caught up in its state, so a restored reader goes on counting", () => {
    const e = new PartitionWatermarkEstimator(fresh, 0, 0, 500);
    e.idle(10_000);
    const restored = new PartitionWatermarkEstimator(e.getState(), 0, 0, 500);
    restored.idle(10_500);
    expect(restored.currentWatermark()).toBe(10_500);
  });

  it("trails the greatest event time by maxDelay, so a record out of order by less is on time, and never goes back", () => {
    const e = new PartitionWatermarkEstimator(fresh, 2_000, 0);
    e.observe(10_000);
    expect(e.currentWatermark()).toBe(8_000);
    // Out of order by 1.5 s: ahead of the watermark, and the watermark stays.
    e.observe(8_500);
    expect(e.currentWatermark()).toBe(8_000);
    e.observe(13_000);
    expect(e.currentWatermark()).toBe(11_000);
    // Idle: processing time less maxDelay, never below what it reported.
    e.idle(12_500);
    expect(e.currentWatermark()).toBe(11_000);
    e.idle(20_000);
    expect(e.currentWatermark()).toBe(18_000);
  });

  it("is idle at once with the default timeout", () => {
    const e = new PartitionWatermarkEstimator(fresh, 0, 1000);
    e.idle(10_000);
    expect(e.currentWatermark()).toBe(9_000);
  });
});
