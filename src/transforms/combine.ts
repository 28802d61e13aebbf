import type { Coder, KV } from "../model/index.js";
import { ConstructionError, WindowFnUrns, kv } from "../model/index.js";
import { PTransform, ptransform, type PCollection } from "../pipeline/index.js";
import { kvCoder, stringUtf8Coder, varIntCoder } from "../coders/index.js";
import { combineAll, toCombineFn, type CombineFn, type CombineFnLike } from "./combine-fn.js";
import { jsValueCoder, kvComponents } from "./coder-derivation.js";
import { flatten } from "./flatten.js";
import { groupByKey } from "./group-by-key.js";
import { impulse } from "./impulse.js";
import { map } from "./map.js";
import { parDo } from "./par-do.js";
import { asIterable } from "./side-input-view.js";

/** Options of combinePerKey. */
export interface CombinePerKeyOptions<K> {
  /**
   * Spreads each key over this many intermediate keys before combining, so a hot key is
   * pre-combined in parallel (Beam's withHotKeyFanout). A number, or a function of the key.
   */
  readonly hotKeyFanout?: number | ((key: K) => number);
}

function nameOf(fn: object): string {
  const n = (fn as { name?: string }).name;
  return n && n.length > 0 ? n : "CombineFn";
}

/**
 * Beam's Combine.groupedValues: combines the grouped values of each key. The key and value
 * types come from the input at `apply`; with a binary function the output values have the
 * input values' type.
 *
 * @example grouped.apply(combineGroupedValues(sum()))
 * @example grouped.apply(combineGroupedValues((a, b) => Math.max(a, b)))
 */
export function combineGroupedValues<K, In, Acc, Out = In>(
  fnLike: CombineFnLike<In, Acc, Out>,
): PTransform<PCollection<KV<K, Iterable<In>>>, PCollection<KV<K, Out>>> {
  const fn = toCombineFn(fnLike);
  return ptransform(`CombineGroupedValues(${nameOf(fn)})`, (input: PCollection<KV<K, Iterable<In>>>) => {
    const [k] = kvComponents(input.coder);
    return input
      .apply("Combine", map((e: KV<K, Iterable<In>>) => kv(e.key, combineAll(fn, e.value))))
      .withCoder(kvCoder(k, fn.outputCoder ?? (jsValueCoder as Coder<Out>)));
  });
}

/**
 * Beam's Combine.perKey: for each key (and window), combines its values. Runners lift it:
 * values are pre-combined in each bundle before the shuffle. Accepts a CombineFn or a
 * binary function (whose output values have the input values' type). The key and value
 * types come from the input at `apply`; only PCollections of KVs are accepted, anything
 * else does not compile.
 *
 * @example sales.apply(combinePerKey(sum()))
 * @example sales.apply(combinePerKey((a, b) => Math.max(a, b)))
 */
export function combinePerKey<K, In, Acc, Out = In>(
  fnLike: CombineFnLike<In, Acc, Out>,
  options: CombinePerKeyOptions<K> = {},
): PTransform<PCollection<KV<K, In>>, PCollection<KV<K, Out>>> {
  const fn = toCombineFn(fnLike);
  if (options.hotKeyFanout !== undefined) return hotKeyFanout(fn, options.hotKeyFanout);
  return new CombinePerKey<K, In, Acc, Out>(fn, `CombinePerKey(${nameOf(fn)})`);
}

class CombinePerKey<K, In, Acc, Out> extends PTransform<PCollection<KV<K, In>>, PCollection<KV<K, Out>>> {
  constructor(
    private readonly fn: CombineFn<In, Acc, Out>,
    name: string,
  ) {
    super(name);
  }
  expand(input: PCollection<KV<K, In>>): PCollection<KV<K, Out>> {
    input.pipeline.annotate({ kind: "combinePerKey", combineFn: this.fn });
    return input.apply("GroupByKey", groupByKey<K, In>()).apply("Combine", combineGroupedValues<K, In, Acc, Out>(this.fn));
  }
}

/**
 * Hot-key fanout as Beam Java expands it: key each value by (key, nonce), combine to
 * accumulators per (key, nonce), then re-key by key and merge the accumulators.
 */
function hotKeyFanout<K, In, Acc, Out>(
  fn: CombineFn<In, Acc, Out>,
  fanout: number | ((key: K) => number),
): PTransform<PCollection<KV<K, In>>, PCollection<KV<K, Out>>> {
  const fanoutOf = typeof fanout === "number" ? () => fanout : fanout;
  if (typeof fanout === "number" && (!Number.isInteger(fanout) || fanout < 1)) {
    throw new ConstructionError(`hotKeyFanout must be a positive integer, got ${fanout}.`);
  }
  const toAccumulator: CombineFn<In, Acc, Acc> = {
    name: `${nameOf(fn)}.pre`,
    createAccumulator: () => fn.createAccumulator(),
    addInput: (a, x) => fn.addInput(a, x),
    mergeAccumulators: (accs) => fn.mergeAccumulators(accs),
    extractOutput: (a) => (fn.compact ? fn.compact(a) : a),
  };
  const mergeAccumulators: CombineFn<Acc, Acc, Out> = {
    name: `${nameOf(fn)}.post`,
    createAccumulator: () => fn.createAccumulator(),
    addInput: (a, x) => fn.mergeAccumulators([a, x]),
    mergeAccumulators: (accs) => fn.mergeAccumulators(accs),
    extractOutput: (a) => fn.extractOutput(a),
    outputCoder: fn.outputCoder,
  };
  return ptransform(`CombinePerKeyWithHotKeyFanout(${nameOf(fn)})`, (input: PCollection<KV<K, In>>) => {
    const [keyCoder, valueCoder] = kvComponents(input.coder);
    const nonceKeyCoder = kvCoder(keyCoder, varIntCoder);
    const p = input.pipeline;
    const original = input.windowing;
    const withNonces = input
      .apply(
        "AddNonce",
        map((e: KV<K, In>) => {
          const n = fanoutOf(e.key);
          return kv(kv(e.key, n > 1 ? Math.floor(Math.random() * n) : 0), e.value);
        }),
      )
      .withCoder(kvCoder(nonceKeyCoder, valueCoder) as never);
    // As Beam Java: the pre-combine never accumulates (each of its panes reaches the final
    // combine, which accumulates them if the user asked to), and the final combine runs
    // under the input's own windowing strategy, its trigger included.
    if (original.accumulationMode === "ACCUMULATING") p.setWindowing(withNonces, { ...original, accumulationMode: "DISCARDING" });
    const accumulators = withNonces
      .apply("PreCombine", new CombinePerKey<KV<K, number>, In, Acc, Acc>(toAccumulator, "PreCombine"))
      .apply("StripNonce", map((e: KV<KV<K, number>, Acc>) => kv(e.key.key, e.value)))
      .withCoder(kvCoder(keyCoder, fn.accumulatorCoder ?? (jsValueCoder as Coder<Acc>)) as never);
    p.setWindowing(accumulators, original);
    return accumulators.apply("PostCombine", new CombinePerKey<K, Acc, Acc, Out>(mergeAccumulators, "PostCombine"));
  });
}

/** Options of combineGlobally and of the transforms that combine globally (latestGlobally, sampleGlobally). */
export interface CombineGloballyOptions {
  /**
   * Emit nothing for an empty input instead of the combiner's result for no input. Required
   * when the input is not in the global window, as in Beam (Java's withoutDefaults(),
   * Python's without_defaults()).
   */
  readonly withoutDefaults?: boolean;
}

/**
 * Beam's Combine.globally: combines all elements (per window) into one. On an empty input
 * in the global window it emits the CombineFn's result for no input,
 * `extractOutput(createAccumulator())` (Beam's defaultValue(): sum and count give 0, mean
 * NaN, toList [], latest and a binary function undefined, Java's null), unless
 * `withoutDefaults`. With defaults the input must be in the global window: it is a
 * ConstructionError otherwise, as in Beam Java and Python. The element type comes from the
 * input at `apply`; a binary function's output is the element type or undefined (its result
 * for no input).
 *
 * @example const total = amounts.apply(combineGlobally(sum())); // PCollection<number>
 * @example const all = amounts.apply(combineGlobally(toList())); // PCollection<number[]>
 * @example const most = amounts.apply(combineGlobally((a, b) => Math.max(a, b))); // PCollection<number | undefined>
 */
export function combineGlobally<In, Acc, Out = In | undefined>(
  fnLike: CombineFnLike<In, Acc, Out>,
  options: CombineGloballyOptions = {},
): PTransform<PCollection<In>, PCollection<Out>> {
  const fn = toCombineFn(fnLike);
  return ptransform(`CombineGlobally(${nameOf(fn)})`, (input: PCollection<In>) => {
    const insertDefault = !options.withoutDefaults;
    if (insertDefault) requireGlobalWindow(input);
    const outputCoder = fn.outputCoder ?? (jsValueCoder as Coder<Out>);
    const combined = input
      .apply("KeyByVoid", map((x: In) => kv("", x)))
      .withCoder(kvCoder(stringUtf8Coder, input.coder) as never)
      .apply("CombinePerKey", new CombinePerKey<string, In, Acc, Out>(fn, "CombinePerKey"))
      .apply("Values", map((e: KV<string, Out>) => e.value))
      .withCoder(outputCoder);
    if (!insertDefault) return combined;
    // As Beam Java: read the combined result as a side input of an impulse and emit the
    // empty result only when it has no element; then flatten it with the result.
    const view = asIterable(combined);
    const defaultIfEmpty = input.pipeline
      .apply("DefaultIfEmpty", impulse())
      .apply(
        "InsertDefault",
        parDo<Uint8Array, Out>(
          {
            process(_i, ctx) {
              const it = ctx.sideInput(view);
              for (const _ of it) return;
              ctx.output(fn.extractOutput(fn.createAccumulator()));
            },
          },
          { sideInputs: [view as never] },
        ),
      )
      .withCoder(outputCoder);
    return input.pipeline.applyTransform([combined, defaultIfEmpty], "Flatten", flatten<Out>());
  });
}

/**
 * Beam's check for defaults (Java's Combine.Globally.expand, Python's CombineGlobally):
 * the default of an empty input goes to the global window, so an input in other windows
 * must say withoutDefaults (an empty window then has no output).
 */
function requireGlobalWindow<T>(input: PCollection<T>): void {
  const windowFn = input.windowing.windowFn;
  if (windowFn.urn === WindowFnUrns.global) return;
  throw new ConstructionError(
    `Default values are not supported in combineGlobally if the input is not windowed by the global window: ` +
      `${input.toString()} is windowed by ${windowFn.toString()}, and an empty window has no output to put a default in. Pass ` +
      `{ withoutDefaults: true } to combineGlobally (or to latestGlobally / sampleGlobally) to output nothing for an ` +
      `empty window, or read the combined PCollection with asSingleton(pc, { defaultValue }) to get a default there.`,
  );
}
