import type { ValueWithTimestamp } from "../../model/index.js";
import type { CombineFn } from "../combine-fn.js";

/**
 * The value with the latest timestamp (Beam's Latest.combineFn); ties keep either. For
 * no input the result is undefined. Use the `latestGlobally`/`latestPerKey` transforms,
 * which attach timestamps first.
 */
export function latest<T>(): CombineFn<ValueWithTimestamp<T>, ValueWithTimestamp<T> | undefined, T | undefined> {
  const later = (a: ValueWithTimestamp<T> | undefined, b: ValueWithTimestamp<T> | undefined) =>
    a === undefined ? b : b === undefined ? a : b.timestamp > a.timestamp ? b : a;
  return {
    name: "Latest",
    createAccumulator: () => undefined,
    addInput: later,
    mergeAccumulators: (accs) => {
      let r: ValueWithTimestamp<T> | undefined;
      for (const a of accs) r = later(r, a);
      return r;
    },
    extractOutput: (acc) => acc?.value,
  };
}
