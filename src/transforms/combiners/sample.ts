import { ConstructionError } from "../../model/index.js";
import type { CombineFn } from "../combine-fn.js";

/** A sample accumulator: items with their random priorities, at most `n`. */
export type SampleAccumulator<T> = Array<{ readonly priority: number; readonly value: T }>;

/**
 * A uniform random sample of at most `n` elements (Beam's Sample.fixedSizeGlobally /
 * fixedSizePerKey). As Beam Java does, each element gets a random priority and the `n`
 * smallest priorities are kept; that is mergeable and stays uniform across bundles.
 */
export function sample<T>(n: number, random: () => number = Math.random): CombineFn<T, SampleAccumulator<T>, T[]> {
  if (!Number.isInteger(n) || n < 0) throw new ConstructionError(`sample needs a non-negative integer size, got ${n}.`);
  const trim = (acc: SampleAccumulator<T>): SampleAccumulator<T> => {
    acc.sort((a, b) => a.priority - b.priority);
    if (acc.length > n) acc.length = n;
    return acc;
  };
  return {
    name: `Sample(${n})`,
    createAccumulator: () => [],
    addInput: (acc, value) => {
      acc.push({ priority: random(), value });
      return acc.length >= 2 * n + 16 ? trim(acc) : acc;
    },
    mergeAccumulators: (accs) => {
      const all: SampleAccumulator<T> = [];
      for (const a of accs) for (const x of a) all.push(x);
      return trim(all);
    },
    compact: trim,
    extractOutput: (acc) => trim([...acc]).map((x) => x.value),
  };
}
