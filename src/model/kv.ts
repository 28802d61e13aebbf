import { BeamError, describeValue } from "./errors.js";

/** A key/value pair, Beam's KV. Grouping transforms require PCollections of KVs. */
export interface KV<K, V> {
  readonly key: K;
  readonly value: V;
}

/** Makes a KV: `kv("user-1", 3)`. */
export function kv<K, V>(key: K, value: V): KV<K, V> {
  return { key, value };
}

/**
 * Whether `v` is a KV: an object with `key` and `value` properties. Grouping transforms
 * check their input with it at run time, where the types do not reach (a `[k, v]` array,
 * a parsed JSON line whose shape was only asserted).
 */
export function isKv(v: unknown): v is KV<unknown, unknown> {
  return typeof v === "object" && v !== null && "key" in v && "value" in v;
}

/**
 * The error for an element that is not a KV where `step` needs one (it groups by key):
 * names the step, the element and the fix.
 */
export function notAKvError(step: string, element: unknown): BeamError {
  return new BeamError(
    "NOT_A_KV",
    `"${step}" groups by key, but its input has an element that is not a KV ({ key, value }): ${describeValue(element)}. ` +
      `Make KVs with kv(key, value) before it (e.g. map((e) => kv(e.id, e))); arrays such as [k, v] and objects without key and value are not KVs.`,
  );
}
