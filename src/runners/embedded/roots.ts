import type { WindowedValue } from "../../model/index.js";
import { inGlobalWindow } from "../../model/index.js";
import type { Receiver } from "../../runtime/index.js";

/**
 * Where bundles start: an Impulse, or a materialized buffer (a GroupByKey's or lifted
 * Combine's table, a Reshuffle's or side-input ParDo's buffer). A root is ready when
 * every PCollection it reads is complete — in watermark terms, when their watermark has
 * reached +infinity — and it then emits its elements in bundles.
 */
export interface Root {
  readonly label: string;
  /** PCollections that must be complete before this root runs. */
  readonly waitsFor: readonly string[];
  /** Where the root's elements go. */
  readonly entry: Receiver;
  /** The PCollection the root emits into, when it emits into one (not a ParDo directly). */
  readonly entryPc: string | undefined;
  /** The root's input, cut into bundles of at most `bundleSize` elements. */
  bundles(bundleSize: number): Iterable<readonly WindowedValue<unknown>[]>;
}

/** Splits an iterable into arrays of at most `size` elements. */
export function* chunks<T>(items: Iterable<T>, size: number): IterableIterator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Beam's Impulse: one bundle of one empty byte array in the global window. */
export function impulseRoot(label: string, entryPc: string, entry: Receiver): Root {
  return {
    label,
    waitsFor: [],
    entry,
    entryPc,
    bundles: () => [[inGlobalWindow(new Uint8Array(0))]],
  };
}

/** A root reading a materialized source once its inputs are complete. */
export function bufferRoot(
  label: string,
  waitsFor: readonly string[],
  entry: Receiver,
  entryPc: string | undefined,
  source: () => Iterable<WindowedValue<unknown>>,
): Root {
  return { label, waitsFor, entry, entryPc, bundles: (size) => chunks(source(), size) };
}
