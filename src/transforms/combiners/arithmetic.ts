import type { CombineFn } from "../combine-fn.js";

/** Sums numbers (Beam's Sum); 0 for no input. */
export function sum(): CombineFn<number, number, number> {
  return {
    name: "Sum",
    createAccumulator: () => 0,
    addInput: (acc, x) => acc + x,
    mergeAccumulators: (accs) => {
      let s = 0;
      for (const a of accs) s += a;
      return s;
    },
    extractOutput: (acc) => acc,
  };
}

/** Counts elements (Beam's Count.combineFn); 0 for no input. */
export function count(): CombineFn<unknown, number, number> {
  return {
    name: "Count",
    createAccumulator: () => 0,
    addInput: (acc) => acc + 1,
    mergeAccumulators: (accs) => {
      let s = 0;
      for (const a of accs) s += a;
      return s;
    },
    extractOutput: (acc) => acc,
  };
}

/** Mean accumulator: a running sum and count. */
export interface MeanAccumulator {
  sum: number;
  count: number;
}

/** The arithmetic mean (Beam's Mean); NaN for no input, as Beam Java. */
export function mean(): CombineFn<number, MeanAccumulator, number> {
  return {
    name: "Mean",
    createAccumulator: () => ({ sum: 0, count: 0 }),
    addInput: (acc, x) => {
      acc.sum += x;
      acc.count += 1;
      return acc;
    },
    mergeAccumulators: (accs) => {
      const out = { sum: 0, count: 0 };
      for (const a of accs) {
        out.sum += a.sum;
        out.count += a.count;
      }
      return out;
    },
    extractOutput: (acc) => (acc.count === 0 ? NaN : acc.sum / acc.count),
  };
}

/** Orders two values: negative if a < b, positive if a > b, 0 if equal. */
export type Comparator<T> = (a: T, b: T) => number;

/** The natural order of numbers, strings and bigints. */
export const naturalOrder: Comparator<number | string | bigint> = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The smallest element by `compare` (natural order by default). For no input the result
 * is `emptyValue`: Infinity for numbers in Beam Java's Min.ofDoubles; undefined here unless given.
 */
export function min<T = number>(compare?: Comparator<T>, emptyValue?: T): CombineFn<T, T | undefined, T | undefined> {
  return extremum("Min", compare ?? (naturalOrder as Comparator<T>), -1, emptyValue);
}

/** The largest element by `compare` (natural order by default). */
export function max<T = number>(compare?: Comparator<T>, emptyValue?: T): CombineFn<T, T | undefined, T | undefined> {
  return extremum("Max", compare ?? (naturalOrder as Comparator<T>), 1, emptyValue);
}

function extremum<T>(name: string, compare: Comparator<T>, sign: 1 | -1, emptyValue: T | undefined): CombineFn<T, T | undefined, T | undefined> {
  const better = (a: T | undefined, b: T | undefined): T | undefined => {
    if (a === undefined) return b;
    if (b === undefined) return a;
    return sign * compare(b, a) > 0 ? b : a;
  };
  return {
    name,
    createAccumulator: () => undefined,
    addInput: better,
    mergeAccumulators: (accs) => {
      let r: T | undefined;
      for (const a of accs) r = better(r, a);
      return r;
    },
    extractOutput: (acc) => (acc === undefined ? emptyValue : acc),
  };
}
