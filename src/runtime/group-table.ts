import type { BoundedWindow, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../model/index.js";
import { ON_TIME_AND_ONLY_FIRING, kv } from "../model/index.js";
import { KeyedWindowTable, windowEntries, type WindowEntry } from "./keyed-window-table.js";
import { outputTimestamp } from "./output-timestamp.js";

const newList = (): unknown[] => [];

/**
 * GroupByKey's buffer: values per key and window. `output` fires every group once (the
 * batch case: the watermark is at +infinity), merging windows first when the WindowFn
 * merges (sessions).
 */
export class GroupTable {
  private readonly table: KeyedWindowTable<unknown[]>;

  constructor(
    keyCoder: Coder<unknown>,
    private readonly windowing: WindowingStrategy,
  ) {
    this.table = new KeyedWindowTable(keyCoder);
  }

  add(wv: WindowedValue<KV<unknown, unknown>>): void {
    this.addParts(wv.value, wv.timestamp, wv.windows);
  }

  /** Adds one element given as parts (no WindowedValue needed). */
  addParts(element: KV<unknown, unknown>, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    const { key, value } = element;
    for (let i = 0; i < windows.length; i++) {
      this.table.entry(key, windows[i]!, timestamp, newList).state.push(value);
    }
  }

  /** Moves another table's groups (a committed bundle's) into this one, in order. */
  mergeFrom(other: GroupTable): void {
    for (const ke of other.table.keys()) {
      for (const we of windowEntries(ke)) {
        const target = this.table.entry(ke.key, we.window, we.minTimestamp, () => we.state);
        if (we.maxTimestamp > target.maxTimestamp) target.maxTimestamp = we.maxTimestamp;
        if (target.state !== we.state) for (const v of we.state) target.state.push(v);
      }
    }
  }

  clear(): void {
    this.table.clear();
  }

  get keyCount(): number {
    return this.table.keyCount;
  }

  /** The grouped output, one KV per key and (merged) window. */
  *output(): IterableIterator<WindowedValue<KV<unknown, unknown[]>>> {
    const { windowFn, timestampCombiner } = this.windowing;
    for (const ke of this.table.keys()) {
      const entries = windowFn.isMerging ? mergeEntries(windowEntries(ke), windowFn.mergeWindows!.bind(windowFn)) : windowEntries(ke);
      for (const we of entries) {
        yield {
          value: kv(ke.key, we.state),
          timestamp: outputTimestamp(timestampCombiner, we.window, we.minTimestamp, we.maxTimestamp),
          windows: [we.window],
          pane: ON_TIME_AND_ONLY_FIRING,
        };
      }
    }
  }
}

/** Applies a merging WindowFn's merges to the entries of one key. */
function mergeEntries(
  entries: WindowEntry<unknown[]>[],
  merge: (windows: readonly BoundedWindow[]) => readonly { from: readonly BoundedWindow[]; result: BoundedWindow }[],
): WindowEntry<unknown[]>[] {
  const merges = merge(entries.map((e) => e.window));
  if (merges.length === 0) return entries;
  const byId = new Map(entries.map((e) => [e.window.id(), e]));
  const out: WindowEntry<unknown[]>[] = [];
  for (const m of merges) {
    const merged: WindowEntry<unknown[]> = { window: m.result, state: [], minTimestamp: Infinity, maxTimestamp: -Infinity };
    for (const w of m.from) {
      const e = byId.get(w.id());
      if (e === undefined) continue;
      byId.delete(w.id());
      for (const v of e.state) merged.state.push(v);
      merged.minTimestamp = Math.min(merged.minTimestamp, e.minTimestamp);
      merged.maxTimestamp = Math.max(merged.maxTimestamp, e.maxTimestamp);
    }
    out.push(merged);
  }
  for (const e of byId.values()) out.push(e);
  return out;
}
