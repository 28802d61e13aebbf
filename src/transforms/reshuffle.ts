import type { Instant, KV } from "../model/index.js";
import { kv } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { kvCoder, varIntCoder } from "../coders/index.js";
import type { DoFn, ProcessContext } from "./do-fn.js";
import { groupByKey } from "./group-by-key.js";
import { jsValueCoder } from "./coder-derivation.js";
import { parDo } from "./par-do.js";
import { identityWindowing } from "./identity-window-fn.js";

interface Reified {
  readonly value: unknown;
  readonly timestamp: Instant;
}

class AddRandomKey implements DoFn<unknown, KV<number, Reified>> {
  process(value: unknown, ctx: ProcessContext<KV<number, Reified>>): void {
    ctx.output(kv((Math.random() * 0x7fffffff) | 0, { value, timestamp: ctx.timestamp }));
  }
}

class Restore implements DoFn<KV<number, Iterable<Reified>>, unknown> {
  process(e: KV<number, Iterable<Reified>>, ctx: ProcessContext<unknown>): void {
    for (const r of e.value) ctx.outputWithTimestamp(r.value, r.timestamp);
  }
}

/**
 * Beam's Reshuffle: redistributes elements between workers and checkpoints them, keeping
 * each element's value, timestamp and windows. Use it to break fusion after a high
 * fan-out step. Expands to a GroupByKey on random keys; runners may execute it directly.
 *
 * @example const spread = expanded.apply(reshuffle()); // same element type as expanded
 */
export function reshuffle<T>(): PTransform<PCollection<T>, PCollection<T>> {
  return new Reshuffle<T>("Reshuffle");
}

class Reshuffle<T> extends PTransform<PCollection<T>, PCollection<T>> {
  expand(input: PCollection<T>): PCollection<T> {
    const p = input.pipeline;
    p.annotate({ kind: "reshuffle" });
    const original = input.windowing;
    // Keep each element's windows through the GroupByKey (Beam's IdentityWindowFn).
    const restored = input
      .apply("KeepWindows", identityWindowing<T>())
      .apply("AddRandomKey", parDo(new AddRandomKey()))
      .withCoder(kvCoder(varIntCoder, jsValueCoder) as never)
      .apply("GroupByKey", groupByKey<number, Reified>())
      // As Beam's Reshuffle: the restored timestamps are earlier than the grouped pane's.
      .apply("Restore", parDo(new Restore(), { allowedTimestampSkew: Infinity }));
    p.setWindowing(restored, original);
    return restored.withCoder(input.coder as never) as PCollection<T>;
  }
}

