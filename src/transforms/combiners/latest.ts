import type { Instant } from "../../model/index.js";
import type { CombineFn } from "../combine-fn.js";

/** A value with its event timestamp, as Beam's TimestampedValue. */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: Instant;
}

/**
 * The value with the latest timestamp (Beam's Latest.combineFn); ties keep either. For
 * no input the result is undefined. Use the `latestGlobally`/`latestPerKey` transforms,
 * which attach timestamps first.
 */
export function latest<T>(): CombineFn<TimestampedValue<T>, TimestampedValue<T> | undefined, T | undefined> {
  const later = (a: TimestampedValue<T> | undefined, b: TimestampedValue<T> | undefined) =>
    a === undefined ? b : b === undefined ? a : b.timestamp > a.timestamp ? b : a;
  return {
    name: "Latest",
    createAccumulator: () => undefined,
    addInput: later,
    mergeAccumulators: (accs) => {
      let r: TimestampedValue<T> | undefined;
      for (const a of accs) r = later(r, a);
      return r;
    },
    extractOutput: (acc) => acc?.value,
  };
}
