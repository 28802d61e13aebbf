import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  create,
  parDo,
  splittableParDo,
  type SplittableDoFn,
} from "../../../src/index.js";
import { runOn } from "../runners.js";
import { SDF_RUNNERS, isFlink, isPortable } from "./sdf-runners.js";

/**
 * An SDF over [0, n) whose initial split points and self-checkpoints are chosen by the
 * test: `cuts` split the range up front; each call stops after `steps[i]` claims and asks
 * to resume (a checkpoint at fraction 0).
 */
function scripted(cuts: readonly number[], steps: readonly number[]): SplittableDoFn<number, number, OffsetRange> {
  let call = 0;
  return {
    getInitialRestriction: (n) => new OffsetRange(0, n),
    splitRestriction(_n, r) {
      const points = [...new Set(cuts.filter((c) => c > r.from && c < r.to))].sort((a, b) => a - b);
      const bounds = [r.from, ...points, r.to];
      return bounds.slice(1).map((to, i) => new OffsetRange(bounds[i]!, to));
    },
    newTracker: (_n, r) => new OffsetRangeTracker(r),
    process(_n, ctx) {
      const budget = steps[call++ % steps.length]!;
      let i = ctx.tracker.currentRestriction().from;
      for (let claimed = 0; claimed < budget; claimed++, i++) {
        if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
        ctx.output(i);
      }
      return ProcessContinuation.resume();
    },
  };
}

for (const runner of SDF_RUNNERS) {
  describe(`splittable DoFn execution on ${runner.name}`, () => {
    it("loses and duplicates no position, whatever the initial splits and checkpoints", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 300 }),
          fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }),
          async (n, cuts, steps) => {
            const seen: number[] = [];
            await runOn(runner, (p) => {
              p.apply(create([n]))
                .apply(splittableParDo(scripted(cuts, steps)))
                .apply(parDo<number, never>({ process: (x) => void seen.push(x) }));
            });
            expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
          },
        ),
        // A job takes a few hundred milliseconds on Prism and seconds on Flink: fewer runs there.
        { numRuns: isFlink(runner) ? 8 : isPortable(runner) ? 30 : 80 },
      );
    }, 180_000);
  });
}
