import { describe, expect, it } from "vitest";
import {
  OffsetRange,
  OffsetRangeTracker,
  Pipeline,
  ProcessContinuation,
  assertThat,
  combineGlobally,
  create,
  splitOffsetRange,
  splittableParDo,
  sum,
  type SplittableDoFn,
} from "../../../src/index.js";

/** Emits every number of [0, n) for an element n, claiming each. */
const upTo: SplittableDoFn<number, number, OffsetRange> = {
  getInitialRestriction: (n) => new OffsetRange(0, n),
  splitRestriction: (_n, r, chunks) => splitOffsetRange(r, chunks),
  newTracker: (_n, r) => new OffsetRangeTracker(r),
  process(_n, ctx) {
    for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) ctx.output(i);
  },
};

describe("splittable DoFns smoke", () => {
  it("processes every position of every split exactly once, across checkpoints", async () => {
    const p = new Pipeline();
    const out = p.apply(create([10, 25_000, 0])).apply(splittableParDo(upTo));
    const expected = [10, 25_000].reduce((s, n) => s + (n * (n - 1)) / 2, 0);
    assertThat(out.apply(combineGlobally(sum()))).containsInAnyOrder([expected]);
    await p.run().waitUntilFinish();
  });

  it("resumes a restriction that returns resume() until it stops", async () => {
    const calls: number[] = [];
    const fn: SplittableDoFn<number, number, OffsetRange> = {
      getInitialRestriction: (n) => new OffsetRange(0, n),
      newTracker: (_n, r) => new OffsetRangeTracker(r),
      process(_n, ctx) {
        // Two positions per call, then a checkpoint.
        const from = ctx.tracker.currentRestriction().from;
        calls.push(from);
        for (let i = from; i < from + 2; i++) {
          if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
          ctx.output(i);
        }
        return ProcessContinuation.resume();
      },
    };
    const p = new Pipeline();
    const out = p.apply(create([5])).apply(splittableParDo(fn));
    assertThat(out).containsInAnyOrder([0, 1, 2, 3, 4]);
    await p.run().waitUntilFinish();
    expect(calls).toEqual([0, 2, 4]);
  });
});
