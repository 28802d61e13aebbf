import type { KV } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { groupedCoder } from "./coder-derivation.js";

/**
 * Beam's GroupByKey: for each key and window, one KV of the key and all its values.
 * Only PCollections of KVs can be grouped; anything else does not compile. The key coder
 * must be deterministic. In batch each window fires once, on time, at the end of the
 * window (or as the windowing's timestamp combiner says).
 *
 * @example const byUser = clicks.apply(groupByKey<string, Click>());
 */
export function groupByKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, Iterable<V>>>> {
  return new GroupByKey<K, V>("GroupByKey");
}

class GroupByKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, Iterable<V>>>> {
  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, Iterable<V>>> {
    const coder = groupedCoder(input.coder, `GroupByKey on ${input.toString()}`);
    const [out] = input.pipeline.addPrimitive({ kind: "groupByKey" }, [input as PCollection<unknown>], [
      { tag: "main", coder: coder as never, windowing: input.windowing, isBounded: input.isBounded },
    ]);
    return out as PCollection<KV<K, Iterable<V>>>;
  }
}
