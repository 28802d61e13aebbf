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

  /**
   * `keepTimestamps`: see KeyedWindowTable. `outputTime`: what the table records for an
   * element instead of its timestamp (the EARLIEST_TRANSFORMED timestamp combiner's output
   * time); absent, the timestamp itself. ReduceRunner.newBundleTable sets both.
   */
  constructor(
    keyCoder: Coder<unknown>,
    private readonly reduceFn: ReduceFn<S>,
    keepTimestamps = false,
    private readonly outputTime?: (window: BoundedWindow, timestamp: Instant) => Instant,
  ) {
    this.table = new KeyedWindowTable(keyCoder, keepTimestamps);
    this.create = () => reduceFn.create();
  }

  addParts(element: KV<unknown, unknown>, timestamp: Instant, window: BoundedWindow): void {
    const time = this.outputTime === undefined ? timestamp : this.outputTime(window, timestamp);
    const e = this.table.entry(element.key, window, time, this.create);
    e.state = this.reduceFn.add(e.state, element.value);
  }

  get isEmpty(): boolean {
    return this.table.keyCount === 0;
  }

  clear(): void {
    this.table.clear();
  }
}
