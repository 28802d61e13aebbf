import type { KV } from "../model/index.js";
import { ConstructionError, isKv, kv, notAKvError } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { kvCoder, unionCoder, type UnionValue } from "../coders/index.js";
import { kvComponents } from "./coder-derivation.js";
import { flatten } from "./flatten.js";
import { groupByKey } from "./group-by-key.js";
import { map } from "./map.js";

/** The key type shared by a record of KV PCollections. */
type KeyOf<R> = R[keyof R] extends PCollection<KV<infer K, unknown>> ? K : never;

/** For each input tag, the values of that input for the key. */
export type CoGbkResult<R> = { readonly [Tag in keyof R]: R[Tag] extends PCollection<KV<unknown, infer V>> ? V[] : never };

/**
 * Beam's CoGroupByKey: joins several keyed PCollections, giving per key (and window) the
 * values of each input under its tag. Typed per input.
 *
 * @example
 * const joined = coGroupByKey({ orders, users });
 * // PCollection<KV<string, { orders: Order[]; users: User[] }>>
 */
export function coGroupByKey<R extends Record<string, PCollection<KV<unknown, unknown>>>>(
  inputs: R,
  name = "CoGroupByKey",
): PCollection<KV<KeyOf<R>, CoGbkResult<R>>> {
  const list = Object.values(inputs);
  if (list.length === 0) throw new ConstructionError("coGroupByKey needs at least one input.");
  return list[0]!.pipeline.applyTransform(inputs, name, new CoGroupByKey<R>("CoGroupByKey"));
}

class CoGroupByKey<R extends Record<string, PCollection<KV<unknown, unknown>>>> extends PTransform<
  R,
  PCollection<KV<KeyOf<R>, CoGbkResult<R>>>
> {
  expand(inputs: R): PCollection<KV<KeyOf<R>, CoGbkResult<R>>> {
    const tags = Object.keys(inputs);
    const [keyCoder] = kvComponents(inputs[tags[0]!]!.coder);
    // Each input's values keep their own coder inside the union (as Beam's UnionCoder), so
    // they cross threads and the disk as they would in their own PCollection.
    const valueCoder = unionCoder(tags.map((tag) => kvComponents(inputs[tag]!.coder)[1]));
    const tagged = tags.map((tag, t) =>
      inputs[tag]!
        .apply(
          `Tag(${tag})`,
          map((e: KV<unknown, unknown>): KV<unknown, UnionValue> => {
            // The types stop most non-KVs, not all (a cast, a parsed JSON line): fail, never group under undefined.
            if (!isKv(e)) throw notAKvError(`CoGroupByKey input ${tag}`, e);
            return kv(e.key, { tag: t, value: e.value });
          }),
        )
        .withCoder(kvCoder(keyCoder, valueCoder)),
    );
    const grouped = inputs[tags[0]!]!.pipeline
      .applyTransform(tagged, "Flatten", flatten<KV<unknown, UnionValue>>())
      .apply("GroupByKey", groupByKey<unknown, UnionValue>());
    return grouped.apply(
      "Untag",
      map((e: KV<unknown, Iterable<UnionValue>>) => {
        const result: Record<string, unknown[]> = {};
        const lists = tags.map((tag) => {
          const list: unknown[] = [];
          result[tag] = list;
          return list;
        });
        for (const { tag, value } of e.value) lists[tag]!.push(value);
        return kv(e.key as KeyOf<R>, result as CoGbkResult<R>);
      }),
    );
  }
}
