/** The pipeline of the JobSnapshot tests: a bounded splittable sequence, then a slow map. */
import { Metrics, generateSequence, map, type Pipeline } from "../../src/index.js";

export const ELEMENTS = 40_000;

export function buildSnapshotPipeline(p: Pipeline): void {
  const seen = Metrics.counter("snapshot", "seen");
  p.apply("Numbers", generateSequence({ from: 0, to: ELEMENTS })).apply(
    "Twice",
    map((n: number) => {
      seen.inc();
      const until = performance.now() + 0.03;
      while (performance.now() < until);
      return n * 2;
    }),
  );
}
