import type { Coder } from "../model/index.js";
import { ConstructionError } from "../model/index.js";

/**
 * Beam's CombineFn: an associative, commutative aggregation through an accumulator.
 * Runners call createAccumulator/addInput per bundle, compact before a shuffle,
 * mergeAccumulators across bundles and extractOutput at the end ("combiner lifting").
 * `addInput` and `mergeAccumulators` may mutate and return their first accumulator.
 *
 * @example
 * const mean: CombineFn<number, { sum: number; n: number }, number> = {
 *   createAccumulator: () => ({ sum: 0, n: 0 }),
 *   addInput: (a, x) => ({ sum: a.sum + x, n: a.n + 1 }),
 *   mergeAccumulators: (accs) => [...accs].reduce((a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n })),
 *   extractOutput: (a) => (a.n === 0 ? NaN : a.sum / a.n),
 * };
 */
export interface CombineFn<In, Acc, Out> {
  createAccumulator(): Acc;
  addInput(accumulator: Acc, input: In): Acc;
  mergeAccumulators(accumulators: Iterable<Acc>): Acc;
  extractOutput(accumulator: Acc): Out;
  /** Shrinks an accumulator before it is shuffled; optional. */
  compact?(accumulator: Acc): Acc;
  /** The coder of accumulators when they cross a boundary; the JS value coder if absent. */
  readonly accumulatorCoder?: Coder<Acc>;
  /** The coder of outputs; the JS value coder if absent. */
  readonly outputCoder?: Coder<Out>;
  /** A description for labels and the fingerprint. */
  readonly name?: string;
}

/** A plain binary function used as a combiner: `(a, b) => a + b`. */
export type BinaryCombiner<T> = (a: T, b: T) => T;

const EMPTY: unique symbol = Symbol("beam-ts.empty");
type BinaryAcc<T> = T | typeof EMPTY;

/**
 * Wraps an associative, commutative binary function as a CombineFn (Beam Java's
 * BinaryCombineFn). An empty input has no value: extractOutput gives undefined, which is
 * what combineGlobally emits for an empty input in the global window (Java's identity(),
 * null by default).
 */
export function binaryCombineFn<T>(fn: BinaryCombiner<T>): CombineFn<T, BinaryAcc<T>, T> {
  return {
    name: fn.name || "binary",
    createAccumulator: () => EMPTY,
    addInput: (acc, x) => (acc === EMPTY ? x : fn(acc, x)),
    mergeAccumulators(accs) {
      let result: BinaryAcc<T> = EMPTY;
      for (const a of accs) {
        if (a !== EMPTY) result = result === EMPTY ? a : fn(result, a);
      }
      return result;
    },
    extractOutput: (acc) => (acc === EMPTY ? (undefined as T) : acc),
    [IS_BINARY]: true,
  } as CombineFn<T, BinaryAcc<T>, T>;
}

const IS_BINARY = Symbol.for("beam-ts.binaryCombineFn");

/** True for CombineFns made from a binary function (their result for no input is undefined). */
export function isBinaryCombineFn(fn: object): boolean {
  return IS_BINARY in fn;
}

/** A CombineFn, or a binary function to wrap as one. */
export type CombineFnLike<In, Acc, Out> = CombineFn<In, Acc, Out> | BinaryCombiner<In>;

/** Normalises a CombineFn or binary function; validates the shape with a clear error. */
export function toCombineFn<In, Acc, Out>(fn: CombineFnLike<In, Acc, Out>): CombineFn<In, Acc, Out> {
  if (typeof fn === "function") {
    if (fn.length !== 2) {
      throw new ConstructionError(
        `A function used as a combiner must take two values and return their combination, like ` +
          `(a, b) => a + b; got a function of ${fn.length} parameters. For other aggregations write a CombineFn.`,
      );
    }
    return binaryCombineFn(fn) as unknown as CombineFn<In, Acc, Out>;
  }
  for (const m of ["createAccumulator", "addInput", "mergeAccumulators", "extractOutput"] as const) {
    if (typeof fn?.[m] !== "function") {
      throw new ConstructionError(`A CombineFn needs a ${m} method; got ${String(fn)} without it.`);
    }
  }
  return fn;
}

/** Runs a CombineFn over a whole iterable (used where no lifting happens). */
export function combineAll<In, Acc, Out>(fn: CombineFn<In, Acc, Out>, values: Iterable<In>): Out {
  let acc = fn.createAccumulator();
  for (const v of values) acc = fn.addInput(acc, v);
  return fn.extractOutput(acc);
}
