import type { BoundedWindow, Instant, KV, PaneInfo, WindowedValue } from "../model/index.js";
import { kv } from "../model/index.js";
import type { SplittableDoFn } from "../transforms/index.js";

// The element shapes of Beam's expanded splittable ParDo (what runners send between the
// pair-with-restriction, split-and-size, truncate and process steps), and how they are
// built and taken apart.

/** A splittable DoFn of any types, as the graph holds it. */
export type AnySdf = SplittableDoFn<unknown, unknown, unknown, unknown>;

/** Beam's SDF element shape between the expanded steps: KV(element, KV(restriction, watermark estimator state)). */
export type ElementAndRestriction = KV<unknown, KV<unknown, unknown>>;

/** The same with its size, KV(KV(element, KV(restriction, state)), size): the input of process and truncate. */
export type SizedElementAndRestriction = KV<ElementAndRestriction, number>;

/** Amount of work in a restriction: `getSize`, else what a fresh tracker has left (Beam's default), else 1. */
export function restrictionSize(fn: AnySdf, element: unknown, restriction: unknown): number {
  const size = fn.getSize !== undefined ? fn.getSize(element, restriction) : (fn.newTracker(element, restriction).getProgress?.().workRemaining ?? 1);
  if (!(size >= 0) || !Number.isFinite(size)) throw new Error(`getSize must return a finite number >= 0, got ${String(size)}.`);
  return size;
}

/** The parts of a sized element, for the process step. */
export function unpackSized(value: unknown): { element: unknown; restriction: unknown; state: unknown } {
  const { key: er } = value as SizedElementAndRestriction;
  return { element: er.key, restriction: er.value.key, state: er.value.value };
}

/** The windowed value of a sized element, as the runner sends and takes it back. */
export function sizedElement(
  fn: AnySdf,
  element: unknown,
  restriction: unknown,
  state: unknown,
  at: { readonly timestamp: Instant; readonly window: BoundedWindow; readonly pane: PaneInfo },
): WindowedValue<SizedElementAndRestriction> {
  return {
    value: kv(kv(element, kv(restriction, state)), restrictionSize(fn, element, restriction)),
    timestamp: at.timestamp,
    windows: [at.window],
    pane: at.pane,
  };
}
