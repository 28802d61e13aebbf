import type { BoundedWindow, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../model/index.js";
import { ON_TIME_AND_ONLY_FIRING, kv } from "../model/index.js";
import type { CombineFn } from "../transforms/index.js";
import { KeyedWindowTable } from "./keyed-window-table.js";
import { outputTimestamp } from "./output-timestamp.js";

type AnyCombineFn = CombineFn<unknown, unknown, unknown>;

/**
 * Lifted Combine.perKey: accumulators per key and window. A bundle pre-combines into its
 * own table (`addInput`); on commit that table is compacted and merged into the job's table
 * (`mergeFrom`) — Beam's partial combine before the shuffle and merge after it. Only for
 * non-merging windows; merging windows take the unlifted path (GroupByKey then combine).
 */
export class CombineTable {
  private readonly table: KeyedWindowTable<unknown>;
  private readonly init: () => unknown;

  constructor(
    keyCoder: Coder<unknown>,
    private readonly windowing: WindowingStrategy,
    private readonly fn: AnyCombineFn,
  ) {
    this.table = new KeyedWindowTable(keyCoder);
    this.init = () => fn.createAccumulator();
  }

  add(wv: WindowedValue<KV<unknown, unknown>>): void {
    this.addParts(wv.value, wv.timestamp, wv.windows);
  }

  /** Adds one element given as parts (no WindowedValue needed). */
  addParts(element: KV<unknown, unknown>, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    const { key, value } = element;
    for (let i = 0; i < windows.length; i++) {
      const e = this.table.entry(key, windows[i]!, timestamp, this.init);
      e.state = this.fn.addInput(e.state, value);
    }
  }

  /** Merges another table's accumulators (a committed bundle's) into this one. */
  mergeFrom(other: CombineTable): void {
    const compact = this.fn.compact?.bind(this.fn);
    for (const ke of other.table.keys()) {
      const entries = ke.more === undefined ? [ke.first] : [ke.first, ...ke.more.values()];
      for (const we of entries) {
        const acc = compact ? compact(we.state) : we.state;
        let fresh = false;
        const target = this.table.entry(ke.key, we.window, we.minTimestamp, () => {
          fresh = true;
          return acc;
        });
        if (we.maxTimestamp > target.maxTimestamp) target.maxTimestamp = we.maxTimestamp;
        if (!fresh) target.state = this.fn.mergeAccumulators([target.state, acc]);
      }
    }
  }

  get keyCount(): number {
    return this.table.keyCount;
  }

  clear(): void {
    this.table.clear();
  }

  /** One KV of key and extracted output per key and window. */
  *output(): IterableIterator<WindowedValue<KV<unknown, unknown>>> {
    const tc = this.windowing.timestampCombiner;
    for (const ke of this.table.keys()) {
      const entries = ke.more === undefined ? [ke.first] : [ke.first, ...ke.more.values()];
      for (const we of entries) {
        yield {
          value: kv(ke.key, this.fn.extractOutput(we.state)),
          timestamp: outputTimestamp(tc, we.window, we.minTimestamp, we.maxTimestamp),
          windows: [we.window],
          pane: ON_TIME_AND_ONLY_FIRING,
        };
      }
    }
  }
}
