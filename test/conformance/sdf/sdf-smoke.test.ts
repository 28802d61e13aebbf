import { describe, expect, it } from "vitest";
import {
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  assertThat,
  combineGlobally,
  create,
  splitOffsetRange,
  splittableParDo,
  sum,
  type SplittableDoFn,
} from "../../../src/index.js";
import { runOn } from "../runners.js";
import { F_NO_SPLITS, SDF_RUNNERS, sdfIt } from "./sdf-runners.js";

/** Emits every number of [0, n) for an element n, claiming each. */
const upTo: SplittableDoFn<number, number, OffsetRange> = {
  getInitialRestriction: (n) => new OffsetRange(0, n),
  splitRestriction: (_n, r, chunks) => splitOffsetRange(r, chunks),
  newTracker: (_n, r) => new OffsetRangeTracker(r),
  process(_n, ctx) {
    for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) ctx.output(i);
  },
};

for (const runner of SDF_RUNNERS) {
  describe(`splittable DoFns smoke on ${runner.name}`, () => {
    it("processes every position of every split exactly once, across checkpoints", async () => {
      const expected = [10, 25_000].reduce((s, n) => s + (n * (n - 1)) / 2, 0);
      await runOn(runner, (p) => {
        const out = p.apply(create([10, 25_000, 0])).apply(splittableParDo(upTo));
        assertThat(out.apply(combineGlobally(sum()))).containsInAnyOrder([expected]);
      });
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
      await runOn(runner, (p) => {
        const out = p.apply(create([5])).apply(splittableParDo(fn));
        assertThat(out).containsInAnyOrder([0, 1, 2, 3, 4]);
      });
      expect(calls).toEqual([0, 2, 4]);
    });

    // Dynamic splitting is driven by time on every runner (the embedded runner checkpoints a
    // call after 100 ms; Prism splits a bundle whose input has not moved for two 100 ms
    // progress ticks), so this scenario waits a little per position.
    sdfIt(runner, { flink: F_NO_SPLITS, "flink streaming": F_NO_SPLITS })("splits a slow restriction while it runs, still processing every position exactly once", async () => {
      const started: string[] = [];
      const slow: SplittableDoFn<number, number, OffsetRange> = {
        getInitialRestriction: (n) => new OffsetRange(0, n),
        newTracker: (_n, r) => new OffsetRangeTracker(r),
        async process(_n, ctx) {
          started.push(ctx.tracker.currentRestriction().toString());
          for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) {
            await new Promise((resolve) => setTimeout(resolve, 2));
            ctx.output(i);
          }
        },
      };
      await runOn(runner, (p) => {
        const out = p.apply(create([200])).apply(splittableParDo(slow));
        assertThat(out).containsInAnyOrder(Array.from({ length: 200 }, (_, i) => i));
      });
      expect(started.length).toBeGreaterThan(1);
    });
  });
}
