/**
 * What the query models share. A model is a plain computation over the generated events
 * (like Beam's Query*Model) that gives the results a query must produce, as canonical
 * strings; `actual` turns the pipeline's output (with its timestamps, windows and panes)
 * into the same strings, so a test compares two sorted string lists.
 */
import type { ReifiedElement } from "../../../src/index.js";
import type { NexmarkConfiguration } from "../config.js";
import type { TimestampedEvent } from "../model.js";

/** The model of one query. */
export interface QueryModel<T> {
  /** The expected results, canonical and sorted. */
  expected(events: Iterable<TimestampedEvent>, config: NexmarkConfiguration): string[];
  /** The pipeline's results in the same form, sorted (some models keep only final panes). */
  actual(outputs: readonly ReifiedElement<T>[]): string[];
}

/** JSON with object keys sorted, so equal records give equal strings whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Sorts in place and returns the list. */
export function sorted(lines: string[]): string[] {
  return lines.sort();
}

/** The window string of reifyPanes for [start, end). */
export const windowString = (start: number, end: number): string => `${start}..${end}`;

/** The starts of the sliding windows of `size` every `period` (offset 0) containing `t`. */
export function slidingWindowStarts(t: number, size: number, period: number): number[] {
  const starts: number[] = [];
  const mod = ((t % period) + period) % period;
  for (let s = t - mod; s > t - size; s -= period) starts.push(s);
  return starts;
}

/** The index of a reified pane (`ON_TIME#3/0 last` → 3). */
export function paneIndex(pane: string): number {
  const m = /#(-?\d+)/.exec(pane);
  return m === null ? -1 : Number(m[1]);
}
