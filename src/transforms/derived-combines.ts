import type { KV, ValueWithTimestamp } from "../model/index.js";
import { kv } from "../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../pipeline/index.js";
import { jsValueCoder, kvCoder, varIntCoder } from "../coders/index.js";
import { combineGlobally, combinePerKey, type CombineGloballyOptions } from "./combine.js";
import { asDeterministic, kvComponents } from "./coder-derivation.js";
import { count } from "./combiners/arithmetic.js";
import { latest } from "./combiners/latest.js";
import { sample } from "./combiners/sample.js";
import { keys } from "./kv-transforms.js";
import { map } from "./map.js";

/**
 * Counts occurrences of each distinct element (Beam's Count.perElement).
 *
 * @example words.apply(countPerElement()) // KV<word, count>
 */
export function countPerElement<T>(): PTransform<PCollection<T>, PCollection<KV<T, number>>> {
  return ptransform("CountPerElement", (input: PCollection<T>) => {
    const keyCoder = asDeterministic(input.coder, `countPerElement on ${input.toString()}`);
    return input
      .apply("Init", map((x: T) => kv(x, 1)))
      .withCoder(kvCoder(keyCoder, varIntCoder))
      .apply("Count", combinePerKey(count()))
      .withCoder(kvCoder(keyCoder, varIntCoder));
  });
}

/**
 * The distinct elements, by encoded equality (Beam's Distinct), per window.
 *
 * @example const uniqueWords = words.apply(distinct()); // PCollection<string>
 */
export function distinct<T>(): PTransform<PCollection<T>, PCollection<T>> {
  return ptransform("Distinct", (input: PCollection<T>) =>
    input
      .apply("CountPerElement", countPerElement<T>())
      .apply("Keys", keys<T, number>())
      .withCoder(input.coder),
  );
}

/**
 * The element with the latest event timestamp (Beam's Latest.globally); per window. An
 * empty input in the global window gives undefined (Beam Java's null, Python's None),
 * unless `withoutDefaults`, which an input in other windows needs, as for combineGlobally.
 *
 * @example const newest = events.apply(latestGlobally());
 */
export function latestGlobally<T>(options: CombineGloballyOptions = {}): PTransform<PCollection<T>, PCollection<T | undefined>> {
  return ptransform("LatestGlobally", (input: PCollection<T>) =>
    input
      .apply("Reify", map<T, ValueWithTimestamp<T>>((value, ctx) => ({ value, timestamp: ctx.timestamp })))
      .apply("Latest", combineGlobally(latest<T>(), options)),
  );
}

/**
 * For each key, the value with the latest event timestamp (Beam's Latest.perKey).
 *
 * @example const lastReading = readingsBySensor.apply(latestPerKey()); // KV<string, Reading | undefined>
 */
export function latestPerKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V | undefined>>> {
  return ptransform("LatestPerKey", (input: PCollection<KV<K, V>>) => {
    const [k] = kvComponents(input.coder);
    return input
      .apply("Reify", map((e: KV<K, V>, ctx) => kv(e.key, { value: e.value, timestamp: ctx.timestamp })))
      // The value is a { value, timestamp } record: plain data for the JS value coder.
      .withCoder(kvCoder(k, jsValueCoder) as never)
      .apply("Latest", combinePerKey(latest<V>()));
  });
}

/**
 * A uniform sample of at most `n` elements (Beam's Sample.fixedSizeGlobally). An empty
 * input in the global window gives [], unless `withoutDefaults`, which an input in other
 * windows needs, as for combineGlobally.
 *
 * @example const some = users.apply(sampleGlobally(10)); // PCollection<User[]>
 */
export function sampleGlobally<T>(n: number, options: CombineGloballyOptions = {}): PTransform<PCollection<T>, PCollection<T[]>> {
  return ptransform(`SampleGlobally(${n})`, (input: PCollection<T>) => input.apply("Sample", combineGlobally(sample<T>(n), options)));
}

/**
 * Per key, a uniform sample of at most `n` values (Beam's Sample.fixedSizePerKey).
 *
 * @example const examples = ordersByUser.apply(samplePerKey(3)); // KV<string, Order[]>
 */
export function samplePerKey<K, V>(n: number): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
  return ptransform(`SamplePerKey(${n})`, (input: PCollection<KV<K, V>>) => input.apply("Sample", combinePerKey(sample<V>(n))));
}
