import type { Coder, KV } from "../model/index.js";
import { ConstructionError } from "../model/index.js";
import {
  CoderUrns,
  asDeterministic as deterministicCoder,
  iterableCoder,
  jsValueCoder,
  kvCoder,
} from "../coders/index.js";

/**
 * Coder inference along the graph: transforms that reshape elements derive their output
 * coder from the input's instead of falling back to the general JS value coder.
 */

/** The key and value coders of a KV coder; the JS value coder for both otherwise. */
export function kvComponents<K, V>(coder: Coder<KV<K, V>>): [Coder<K>, Coder<V>] {
  if (coder.urn === CoderUrns.kv && coder.components.length === 2) {
    return [coder.components[0] as Coder<K>, coder.components[1] as Coder<V>];
  }
  return [jsValueCoder as Coder<K>, jsValueCoder as Coder<V>];
}

/** A deterministic version of `coder` for keys, or a construction error naming `where`. */
export function asDeterministic<T>(coder: Coder<T>, where: string): Coder<T> {
  try {
    return deterministicCoder(coder);
  } catch (err) {
    throw new ConstructionError(
      `${where} groups by key, and keys must encode deterministically (equal keys to equal bytes), ` +
        `but the key coder ${coder.toString()} is not deterministic. Set a deterministic key coder ` +
        `with .withCoder(kvCoder(<key coder>, <value coder>)) on the input, or use string/number keys.`,
      { cause: err },
    );
  }
}

/** The coder of GroupByKey's output given its input coder. */
export function groupedCoder<K, V>(input: Coder<KV<K, V>>, where: string): Coder<KV<K, Iterable<V>>> {
  if (input.urn !== CoderUrns.kv && input.urn !== CoderUrns.jsValue) {
    throw new ConstructionError(
      `${where} needs KV elements with a KV coder, but the input's coder is ${input.toString()}. ` +
        `Set one with .withCoder(kvCoder(<key coder>, <value coder>)).`,
    );
  }
  const [k, v] = kvComponents(input);
  return kvCoder(asDeterministic(k, where), iterableCoder(v)) as unknown as Coder<KV<K, Iterable<V>>>;
}

export { jsValueCoder, kvCoder };
