/** A key/value pair, Beam's KV. Grouping transforms require PCollections of KVs. */
export interface KV<K, V> {
  readonly key: K;
  readonly value: V;
}

/** Makes a KV: `kv("user-1", 3)`. */
export function kv<K, V>(key: K, value: V): KV<K, V> {
  return { key, value };
}
