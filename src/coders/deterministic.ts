import type { Coder } from "../model/index.js";
import { CoderError } from "../model/index.js";
import { deterministicJsValueCoder } from "./js-value-coder.js";
import { iterableCoder, kvCoder, lengthPrefixCoder, nullableCoder } from "./structural.js";
import { unionCoder } from "./union-coder.js";
import { shardedKeyCoder } from "./sharded-key-coder.js";
import { CoderUrns } from "./urns.js";

/**
 * A coder for the same values whose encoding is deterministic (equal values, equal bytes),
 * as GroupByKey needs for keys. Structural coders become deterministic when their
 * components can; the JS value coder switches to its deterministic mode. Throws a
 * CoderError naming the offending component otherwise.
 */
export function asDeterministic<T>(coder: Coder<T>): Coder<T> {
  if (coder.deterministic) return coder;
  const c = coder.components;
  switch (coder.urn) {
    case CoderUrns.jsValue:
      return deterministicJsValueCoder as Coder<T>;
    case CoderUrns.kv:
      return kvCoder(asDeterministic(c[0] as Coder<unknown>), asDeterministic(c[1] as Coder<unknown>)) as Coder<T>;
    case CoderUrns.iterable:
      return iterableCoder(asDeterministic(c[0] as Coder<unknown>)) as Coder<T>;
    case CoderUrns.nullable:
      return nullableCoder(asDeterministic(c[0] as Coder<unknown>)) as Coder<T>;
    case CoderUrns.lengthPrefix:
      return lengthPrefixCoder(asDeterministic(c[0] as Coder<unknown>)) as Coder<T>;
    case CoderUrns.union:
      return unionCoder(c.map((k) => asDeterministic(k))) as Coder<T>;
    case CoderUrns.shardedKey:
      return shardedKeyCoder(asDeterministic(c[0] as Coder<unknown>)) as Coder<T>;
    default:
      throw new CoderError(`The coder ${coder.toString()} is not deterministic and has no deterministic form.`);
  }
}
