import { describe, expect, it } from "vitest";
import { PartitionSetTracker } from "./partition-set-tracker.js";

describe("PartitionSetTracker", () => {
  it("adds newly found partitions to the set, once each", () => {
    const t = new PartitionSetTracker({ known: ["0:a"], done: false, listed: true });
    expect(t.tryClaim(["0:a", "1:a"])).toBe(true);
    expect(t.currentRestriction().known).toEqual(["0:a", "1:a"]);
  });

  it("checkpoints into a done primary and a residual that goes on from the same set", () => {
    const t = new PartitionSetTracker({ known: [], done: false, listed: false });
    t.tryClaim(["0:a"]);
    const split = t.trySplit(0)!;
    expect(split.primary).toEqual({ known: ["0:a"], done: true, listed: true });
    expect(split.residual).toEqual({ known: ["0:a"], done: false, listed: true });
    expect(t.tryClaim(["1:a"])).toBe(false);
    expect(t.isBounded()).toBe(true);
    expect(t.trySplit(0)).toBeUndefined();
  });

  it("ends the watch on a claim of null", () => {
    const t = new PartitionSetTracker({ known: [], done: false, listed: false });
    expect(t.tryClaim(null)).toBe(false);
    expect(t.isBounded()).toBe(true);
  });
});
