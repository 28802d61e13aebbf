import type { KV, WindowingStrategy } from "../model/index.js";
import { ConstructionError, WindowFnUrns, continuationTrigger, describeTrigger, isTriggerSafe } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { groupedCoder } from "./coder-derivation.js";

/**
 * Beam's GroupByKey: for each key and window, KVs of the key and its values, emitted
 * when the windowing's trigger fires (by default once, when the watermark passes the end
 * of the window). Only PCollections of KVs can be grouped; anything else does not
 * compile. The key coder must be deterministic. K and V come from the input at `apply`.
 *
 * @example const byUser = clicks.apply(groupByKey()); // KV<string, Click> in, KV<string, Iterable<Click>> out
 */
export function groupByKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, Iterable<V>>>> {
  return new GroupByKey<K, V>("GroupByKey");
}

/** The outputs of groupByKeyWithLateData. */
export type GroupedWithLateData<K, V> = {
  /** The grouped panes, as groupByKey gives them. */
  readonly grouped: PCollection<KV<K, Iterable<V>>>;
  /**
   * Elements that arrived after their window's allowed lateness, one per element and
   * window, with their original timestamp and that window, instead of being dropped.
   */
  readonly late: PCollection<KV<K, V>>;
};

/**
 * GroupByKey that routes elements too late for their window to a second output instead
 * of dropping them (beam-ts extension; Beam only counts them in droppedDueToLateness).
 *
 * @example const { grouped, late } = clicks.apply(groupByKeyWithLateData());
 */
export function groupByKeyWithLateData<K, V>(): PTransform<PCollection<KV<K, V>>, GroupedWithLateData<K, V>> {
  return new GroupByKeyWithLateData<K, V>("GroupByKey");
}

/**
 * The windowing of a GroupByKey's output, as Beam's GroupByKey.updateWindowingStrategy:
 * the trigger becomes its continuation, so a later GroupByKey fires in step with this one.
 */
function outputWindowing(input: WindowingStrategy): WindowingStrategy {
  return { ...input, trigger: continuationTrigger(input.trigger) };
}

/**
 * Beam's GroupByKey.applicableTo: a default-triggered global window on unbounded input
 * would never fire, and a trigger that can finish before the window expires would drop
 * the data arriving after it ("unsafe trigger"; allowed with --allowUnsafeTriggers).
 */
function checkApplicable(input: PCollection<unknown>, label: string): void {
  const ws = input.windowing;
  if (!isTriggerSafe(ws.trigger, ws.allowedLateness) && input.pipeline.options["allowUnsafeTriggers"] !== true) {
    throw new ConstructionError(
      `${label}: unsafe trigger ${describeTrigger(ws.trigger)} may lose data: once it finishes, the window ` +
        `closes and later elements are dropped. Wrap it in Triggers.repeatedly(...), give afterWatermark ` +
        `late firings, or pass --allowUnsafeTriggers if dropping them is intended.`,
    );
  }
  if (!input.isBounded && ws.windowFn.urn === WindowFnUrns.global && ws.trigger.kind === "default") {
    throw new ConstructionError(
      `${label}: ${input.toString()} is unbounded and in the global window with the default trigger, ` +
        `so its groups would never fire. Window it (e.g. windowInto(fixedWindows(...))) or set a trigger ` +
        `(e.g. windowInto(globalWindows(), { trigger: Triggers.repeatedly(Triggers.afterCount(1)) })).`,
    );
  }
}

class GroupByKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, Iterable<V>>>> {
  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, Iterable<V>>> {
    checkApplicable(input as PCollection<unknown>, "GroupByKey");
    const coder = groupedCoder(input.coder, `GroupByKey on ${input.toString()}`);
    const [out] = input.pipeline.addPrimitive({ kind: "groupByKey" }, [input as PCollection<unknown>], [
      { tag: "main", coder: coder as never, windowing: outputWindowing(input.windowing), isBounded: input.isBounded },
    ]);
    return out as PCollection<KV<K, Iterable<V>>>;
  }
}

class GroupByKeyWithLateData<K, V> extends PTransform<PCollection<KV<K, V>>, GroupedWithLateData<K, V>> {
  expand(input: PCollection<KV<K, V>>): GroupedWithLateData<K, V> {
    checkApplicable(input as PCollection<unknown>, "GroupByKey");
    const coder = groupedCoder(input.coder, `GroupByKey on ${input.toString()}`);
    const [grouped, late] = input.pipeline.addPrimitive({ kind: "groupByKey", lateOutputTag: "late" }, [input as PCollection<unknown>], [
      { tag: "main", coder: coder as never, windowing: outputWindowing(input.windowing), isBounded: input.isBounded },
      { tag: "late", coder: input.coder as never, windowing: input.windowing, isBounded: input.isBounded },
    ]);
    return { grouped: grouped as PCollection<KV<K, Iterable<V>>>, late: late as PCollection<KV<K, V>> };
  }
}
