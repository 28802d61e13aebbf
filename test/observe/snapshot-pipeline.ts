/** The pipeline of the JobSnapshot tests: a bounded splittable sequence, then a slow map. */
import { Metrics, generateSequence, map, type Pipeline } from "../../src/index.js";

export const ELEMENTS = 40_000;

/**
 * A test holds the job's main thread here (set on globalThis, so worker threads, which
 * rebuild the pipeline from its module, never wait) until it has seen what it waits for: the
 * job then cannot end before a slow worker thread has started, however loaded the machine.
 */
export const GATE = "__beamTsSnapshotGate";

const gate = () => (globalThis as Record<string, unknown>)[GATE] as Promise<void> | undefined;

export function buildSnapshotPipeline(p: Pipeline): void {
  const seen = Metrics.counter("snapshot", "seen");
  p.apply("Numbers", generateSequence({ from: 0, to: ELEMENTS }))
    .apply(
      "Gate",
      map((n: number) => {
        const held = gate();
        return held === undefined ? n : held.then(() => n);
      }),
    )
    .apply(
    "Twice",
    map((n: number) => {
      seen.inc();
      const until = performance.now() + 0.03;
      while (performance.now() < until);
      return n * 2;
    }),
  );
}
