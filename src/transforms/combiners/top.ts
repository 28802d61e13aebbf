import { ConstructionError } from "../../model/index.js";
import type { CombineFn } from "../combine-fn.js";
import { naturalOrder, type Comparator } from "./arithmetic.js";

/**
 * The `n` greatest elements by `compare`, greatest first (Beam's Top.of). Keeps at most `n`
 * per accumulator: a bounded sorted buffer, trimmed when it doubles.
 *
 * @example scores.apply(combineGlobally(top(3, (a: Score, b: Score) => a.points - b.points)))
 */
export function top<T>(n: number, compare: Comparator<T>): CombineFn<T, T[], T[]> {
  if (!Number.isInteger(n) || n < 0) throw new ConstructionError(`top needs a non-negative integer count, got ${n}.`);
  const desc = (a: T, b: T) => compare(b, a);
  const trim = (acc: T[]): T[] => {
    acc.sort(desc);
    if (acc.length > n) acc.length = n;
    return acc;
  };
  return {
    name: `Top(${n})`,
    createAccumulator: () => [],
    addInput: (acc, x) => {
      acc.push(x);
      return acc.length >= 2 * n + 16 ? trim(acc) : acc;
    },
    mergeAccumulators: (accs) => {
      const all: T[] = [];
      for (const a of accs) for (const x of a) all.push(x);
      return trim(all);
    },
    compact: trim,
    extractOutput: (acc) => trim([...acc]),
  };
}

/** The `n` largest elements in natural order, largest first (Beam's Top.largest). */
export function largest<T extends number | string | bigint = number>(n: number): CombineFn<T, T[], T[]> {
  return { ...top<T>(n, naturalOrder as Comparator<T>), name: `Largest(${n})` };
}

/** The `n` smallest elements in natural order, smallest first (Beam's Top.smallest). */
export function smallest<T extends number | string | bigint = number>(n: number): CombineFn<T, T[], T[]> {
  return { ...top<T>(n, (a, b) => (naturalOrder as Comparator<T>)(b, a)), name: `Smallest(${n})` };
}
