import type { CombineFn } from "../../transforms/index.js";

/**
 * What a grouping step keeps per key and window and how it becomes a pane: the values
 * themselves (GroupByKey) or a combiner's accumulator (lifted Combine.perKey). Beam's
 * ReduceFn.
 */
export interface ReduceFn<S> {
  create(): S;
  add(state: S, value: unknown): S;
  /** Folds `from` into `into`; both belong to the runner. Returns the result. */
  merge(into: S, from: S): S;
  /**
   * The pane's value. `keep` is true in accumulating mode: the state lives on, so the
   * value must not share mutable parts with it.
   */
  extract(state: S, keep: boolean): unknown;
}

/** GroupByKey: the values in arrival order. */
export const groupingReduceFn: ReduceFn<unknown[]> = {
  create: () => [],
  add(state, value) {
    state.push(value);
    return state;
  },
  merge(into, from) {
    for (let i = 0; i < from.length; i++) into.push(from[i]);
    return into;
  },
  extract: (state, keep) => (keep ? state.slice() : state),
};

/** Combine.perKey: an accumulator, compacted before it is merged (Beam's partial combine). */
export function combiningReduceFn(fn: CombineFn<unknown, unknown, unknown>): ReduceFn<unknown> {
  const compact = fn.compact?.bind(fn);
  return {
    create: () => fn.createAccumulator(),
    add: (state, value) => fn.addInput(state, value),
    merge: (into, from) => fn.mergeAccumulators([into, compact ? compact(from) : from]),
    extract: (state) => fn.extractOutput(state),
  };
}
