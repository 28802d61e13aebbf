import type { BoundedWindow, Instant, PaneInfo, WindowedValue } from "../model/index.js";

/** Receives the elements of one PCollection inside a bundle. */
export interface Receiver {
  receive(wv: WindowedValue<unknown>): void;
  /**
   * Optional fast path: the same element as parts, so a producer need not allocate a
   * WindowedValue for a consumer that does not keep it (fused DoFns).
   */
  receiveParts?(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void;
}

/** A receiver that drops everything (a PCollection nobody consumes). */
export const DISCARD: Receiver = { receive: () => {}, receiveParts: () => {} };

/** Sends every element to all of `targets`. */
export function fanOut(targets: readonly Receiver[]): Receiver {
  if (targets.length === 0) return DISCARD;
  if (targets.length === 1) return targets[0]!;
  return {
    receive(wv) {
      for (let i = 0; i < targets.length; i++) targets[i]!.receive(wv);
    },
  };
}
