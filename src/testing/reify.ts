import type { BoundedWindow, Instant, PaneInfo } from "../model/index.js";
import { GlobalWindow, IntervalWindow } from "../model/index.js";
import { defaultName, ptransform, type PCollection, type PTransform } from "../pipeline/index.js";
import { map } from "../transforms/index.js";

/** An element with where and when it was produced, as plain data (see reifyPanes). */
export interface ReifiedElement<T> {
  readonly value: T;
  readonly timestamp: Instant;
  /** `start..end` for interval windows (ms), `global` for the global window. */
  readonly window: string;
  /**
   * The pane, compactly: timing, `#index`, `/nonSpeculativeIndex`, then `first` and/or
   * `last` when set. Example: `EARLY#0/-1 first`, `ON_TIME#1/0`, `LATE#2/1 last`.
   */
  readonly pane: string;
}

/** The compact description of a pane used by reifyPanes. */
export function describePane(p: PaneInfo): string {
  const flags = `${p.isFirst ? " first" : ""}${p.isLast ? " last" : ""}`;
  return `${p.timing}#${p.index}/${p.nonSpeculativeIndex}${flags}`;
}

/** The compact description of a window used by reifyPanes. */
export function describeWindow(w: BoundedWindow): string {
  if (w instanceof GlobalWindow) return "global";
  if (w instanceof IntervalWindow) return `${w.start}..${w.end}`;
  return w.id();
}

/**
 * Turns each element into plain data naming its timestamp, window and pane, so a test
 * can check exactly which panes fired, in the pipeline (it runs on every runner).
 *
 * @example
 * assertThat(counts.apply(reifyPanes())).containsInAnyOrder([
 *   { value: kv("a", 2), timestamp: 59_999, window: "0..60000", pane: "ON_TIME#0/0 first last" },
 * ]);
 */
export function reifyPanes<T>(): PTransform<PCollection<T>, PCollection<ReifiedElement<T>>> {
  return ptransform(defaultName("ReifyPanes", undefined), (input: PCollection<T>) =>
    input.apply(
      "Reify",
      map((value: T, ctx): ReifiedElement<T> => ({
        value,
        timestamp: ctx.timestamp,
        window: describeWindow(ctx.window),
        pane: describePane(ctx.pane),
      })),
    ),
  );
}
