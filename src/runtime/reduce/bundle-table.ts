import type { BoundedWindow, Coder, Instant, KV } from "../../model/index.js";
import { KeyedWindowTable } from "../keyed-window-table.js";
import type { ReduceFn } from "./reduce-fn.js";

/**
 * What one bundle wrote into a grouping step: per key and window, the bundle's values
 * already reduced (for Combine, Beam's partial combine before the shuffle), with the
 * number of elements and their timestamp range. The ReduceRunner absorbs it when the
 * bundle commits; a failed bundle's table is simply cleared.
 */
export class BundleTable<S> {
  readonly table: KeyedWindowTable<S>;
  private readonly create: () => S;

  /** `keepTimestamps`: see KeyedWindowTable (ReduceRunner.newBundleTable sets it). */
  constructor(
    keyCoder: Coder<unknown>,
    private readonly reduceFn: ReduceFn<S>,
    keepTimestamps = false,
  ) {
    this.table = new KeyedWindowTable(keyCoder, keepTimestamps);
    this.create = () => reduceFn.create();
  }

  addParts(element: KV<unknown, unknown>, timestamp: Instant, window: BoundedWindow): void {
    const e = this.table.entry(element.key, window, timestamp, this.create);
    e.state = this.reduceFn.add(e.state, element.value);
  }

  get isEmpty(): boolean {
    return this.table.keyCount === 0;
  }

  clear(): void {
    this.table.clear();
  }
}
