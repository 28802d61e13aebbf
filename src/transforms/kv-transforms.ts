import type { Coder, KV } from "../model/index.js";
import { kv } from "../model/index.js";
import { defaultName, ptransform, type PCollection, type PTransform } from "../pipeline/index.js";
import { kvCoder } from "../coders/index.js";
import { jsValueCoder, kvComponents } from "./coder-derivation.js";
import { map } from "./map.js";

/**
 * The keys of a PCollection of KVs (Beam's Keys).
 *
 * @example const words = counts.apply(keys()); // PCollection<string> from KV<string, number>
 */
export function keys<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<K>> {
  return ptransform("Keys", (input: PCollection<KV<K, V>>) =>
    input.apply("Keys", map((e: KV<K, V>) => e.key)).withCoder(kvComponents(input.coder)[0]),
  );
}

/**
 * The values of a PCollection of KVs (Beam's Values).
 *
 * @example const totals = counts.apply(values()); // PCollection<number> from KV<string, number>
 */
export function values<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<V>> {
  return ptransform("Values", (input: PCollection<KV<K, V>>) =>
    input.apply("Values", map((e: KV<K, V>) => e.value)).withCoder(kvComponents(input.coder)[1]),
  );
}

/**
 * Swaps key and value (Beam's KvSwap).
 *
 * @example const byCount = counts.apply(kvSwap()); // KV<number, string> from KV<string, number>
 */
export function kvSwap<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<V, K>>> {
  return ptransform("KvSwap", (input: PCollection<KV<K, V>>) => {
    const [k, v] = kvComponents(input.coder);
    return input.apply("Swap", map((e: KV<K, V>) => kv(e.value, e.key))).withCoder(kvCoder(v, k));
  });
}

/**
 * Keys each element by `fn(element)`, or by a constant key (Beam's WithKeys).
 *
 * @example users.apply(withKeys((u) => u.country)) // KV<string, User>
 */
export function withKeys<T, K>(
  keyFn: ((element: T) => K) | { readonly constant: K },
  options?: { keyCoder?: Coder<K> },
): PTransform<PCollection<T>, PCollection<KV<K, T>>> {
  const name = typeof keyFn === "function" ? defaultName("WithKeys", keyFn) : "WithKeys";
  return ptransform(name, (input: PCollection<T>) => {
    const fn = typeof keyFn === "function" ? keyFn : () => keyFn.constant;
    const out = input.apply("AddKeys", map((e: T) => kv(fn(e), e)));
    return out.withCoder(kvCoder(options?.keyCoder ?? (jsValueCoder as Coder<K>), input.coder));
  });
}
