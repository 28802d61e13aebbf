import type { CombineFn } from "../combine-fn.js";

/**
 * All elements as an array, in no particular order (Beam Python's ToList).
 *
 * @example nums.apply(combineGlobally(toList())) // PCollection<number[]>
 */
export function toList<T>(): CombineFn<T, T[], T[]> {
  return {
    name: "ToList",
    createAccumulator: () => [],
    addInput: (acc, x) => {
      acc.push(x);
      return acc;
    },
    mergeAccumulators: (accs) => {
      const out: T[] = [];
      for (const a of accs) for (const x of a) out.push(x);
      return out;
    },
    extractOutput: (acc) => acc,
  };
}

/**
 * The distinct elements as a Set (Beam Python's ToSet). Equality is JS SameValueZero, so
 * use it for primitives; for objects, key them first or use `distinct()`.
 *
 * @example tagsByUser.apply(combinePerKey(toSet())) // KV<string, Set<string>>
 */
export function toSet<T>(): CombineFn<T, Set<T>, Set<T>> {
  return {
    name: "ToSet",
    createAccumulator: () => new Set<T>(),
    addInput: (acc, x) => acc.add(x),
    mergeAccumulators: (accs) => {
      const out = new Set<T>();
      for (const a of accs) for (const x of a) out.add(x);
      return out;
    },
    extractOutput: (acc) => acc,
  };
}
