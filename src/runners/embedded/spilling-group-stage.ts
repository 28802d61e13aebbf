import type { BoundedWindow, Coder, KV, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { ON_TIME_AND_ONLY_FIRING, kv } from "../../model/index.js";
import { BufferReader, BufferWriter, decodeFromBytes, encodeToBytes } from "../../coders/index.js";
import { groupingReduceFn, windowEntries, type KeyedWindowTable, type Receiver, type WindowEntry } from "../../runtime/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { PendingGroup, SortedSpill, SpilledGroup } from "./spill/sorted-spill.js";
import { TableBackedStage, type TableSpec } from "./spill/table-backed-stage.js";

/** Where a spilling stage reports the bytes it wrote to disk. */
export interface SpillReporter {
  spilled(step: string, bytes: number): void;
}

/** Coders and windowing of a GroupByKey that may spill. */
export interface SpillingGroupSpec extends TableSpec {
  readonly valueCoder: Coder<unknown>;
}

/**
 * Whether a GroupByKey can group by sorting on disk: its panes must not depend on when
 * elements arrive. That holds for a bounded input under the default trigger, no allowed
 * lateness and end-of-window timestamps: every window fires exactly one ON_TIME pane
 * holding all its elements, stamped with the window's end (what the in-memory ReduceRunner
 * emits for it). Merging windows (sessions) qualify too: a bounded input's windows all
 * fire at its end, after every merge, so each key's windows can be merged when its group
 * is read back (as Beam's batch runners merge a key's windows after grouping by key).
 * Other GroupByKeys keep their state in memory.
 */
export function canSpillGroup(windowing: WindowingStrategy, inputBounded: boolean): boolean {
  return (
    inputBounded &&
    windowing.trigger.kind === "default" &&
    windowing.allowedLateness === 0 &&
    windowing.timestampCombiner === "END_OF_WINDOW"
  );
}

/** Whether a lifted Combine can spill its accumulators: as canSpillGroup, windows not merging. */
export function canSpillCombine(windowing: WindowingStrategy, inputBounded: boolean): boolean {
  return canSpillGroup(windowing, inputBounded) && !windowing.windowFn.isMerging;
}

/** One value in memory before any has been measured: a JS object and its array slot. */
const INITIAL_VALUE_BYTES = 256;
/** A live value's cost over its encoded size (JS objects, strings, array slots). */
const LIVE_OVER_ENCODED = 4;
/** One value in this many is encoded as it arrives, to learn what values cost. */
const SAMPLE_EVERY = 64;

/**
 * A GroupByKey of the embedded runner under a memory budget (`--memoryBudget`): committed
 * bundles add their values to a table per key and window, as in memory
 * (spill/table-backed-stage.ts); one value in 64 is encoded to learn their size. When the
 * table's estimated size passes the stage's share, every group is encoded (key and window
 * as the group, each value with the value coder) into the external sort, which writes a
 * sorted run to local disk; from then on, bundles are encoded into the sort as they
 * commit (bytes take far less memory and GC time than a table of objects, and the sort
 * counts them exactly). When the input has ended, a GroupByKey that never spilled
 * emits its table; otherwise the runs and the table are merged and each group is emitted
 * as its window's only pane, values in arrival order. The output watermark is held at the
 * earliest window end seen until then, as the in-memory stage's holds would.
 *
 * With merging windows the sort groups by key alone and each value carries its window:
 * a key's windows are merged by the WindowFn (one mergeWindows call over all of them) when
 * its group is read back (or taken from the table), and each merged window's values form
 * its pane. One key's values are in memory at a time.
 */
export class SpillingGroupStage extends TableBackedStage<unknown[]> {
  protected readonly encodeAfterSpill = true;
  private readonly writer = new BufferWriter();
  private readonly merging: boolean;
  private sampleCountdown = 0;
  private sampledBytes = 0;
  private samples = 0;

  constructor(
    label: string,
    input: string,
    entryPc: string,
    entry: Receiver,
    private readonly group: SpillingGroupSpec,
    spill: SortedSpill,
    limitBytes: number,
    reporter: LateDataReporter,
  ) {
    super(label, input, entryPc, entry, group, spill, limitBytes, reporter, groupingReduceFn, INITIAL_VALUE_BYTES);
    this.merging = group.windowing.windowFn.isMerging;
  }

  protected unitsOf(bundleEntry: WindowEntry<unknown[]>): number {
    const values = bundleEntry.state;
    this.sampleCountdown -= values.length;
    if (this.sampleCountdown <= 0) {
      this.sampleCountdown = SAMPLE_EVERY;
      let size: number;
      try {
        size = encodeToBytes(this.group.valueCoder, values[values.length - 1]).length;
      } catch {
        // Values this coder cannot encode are fine while they stay in memory; write() says why if they cannot.
        return values.length;
      }
      this.sampledBytes += size;
      this.samples++;
      this.unitBytes = Math.ceil((this.sampledBytes / this.samples) * LIVE_OVER_ENCODED) + 32;
    }
    return values.length;
  }

  /** Encodes every value of the table into the spill, grouped by key and window (by key alone when merging). */
  protected write(table: KeyedWindowTable<unknown[]>): number {
    const w = this.writer;
    const { keyCoder, windowCoder, valueCoder } = this.group;
    let encoded = 0;
    for (const ke of table.keys()) {
      let keyGroup: PendingGroup | undefined;
      if (this.merging) {
        w.reset();
        keyCoder.encode(ke.key, w, true);
        keyGroup = this.spill.group(w.finish());
        encoded += keyGroup.group.length;
      }
      for (const we of windowEntries(ke)) {
        let g = keyGroup;
        if (g === undefined) {
          w.reset();
          keyCoder.encode(ke.key, w, true);
          windowCoder.encode(we.window, w, true);
          g = this.spill.group(w.finish());
          encoded += g.group.length;
        }
        for (const v of we.state) {
          w.reset();
          if (this.merging) windowCoder.encode(we.window, w, true);
          try {
            valueCoder.encode(v, w, false);
          } catch (err) {
            throw new Error(
              `GroupByKey "${this.label}" outgrew its share of the memory budget and writes its values to local disk, ` +
                `and their coder failed: ${err instanceof Error ? err.message : String(err)} Give the PCollection a coder ` +
                `with .withCoder(...), or set --memoryBudget=none to keep every group in memory.`,
            );
          }
          this.spill.append(g, w.written());
          encoded += w.length;
        }
        // Only between groups: settling may write a run, after which groups are stale.
        if (!this.merging) this.spill.settle();
      }
      if (this.merging) this.spill.settle();
    }
    return encoded;
  }

  protected *tablePanes(table: KeyedWindowTable<unknown[]>): Generator<WindowedValue<unknown>> {
    for (const ke of table.keys()) {
      const windows = windowEntries(ke).map((we) => ({ window: we.window, values: we.state }));
      yield* this.panesOf(ke.key, this.merging ? this.merged(windows) : windows);
    }
  }

  protected *spilledPanes(groups: Generator<SpilledGroup>): Generator<WindowedValue<unknown>> {
    const { keyCoder, windowCoder, valueCoder } = this.group;
    for (const { group, values } of groups) {
      if (!this.merging) {
        const reader = new BufferReader(group);
        const key = keyCoder.decode(reader, true);
        const window = windowCoder.decode(reader, true);
        yield* this.panesOf(key, [{ window, values: values.map((v) => decodeFromBytes(valueCoder, v)) }]);
        continue;
      }
      const byWindow = new Map<string, WindowValues>();
      for (const bytes of values) {
        const reader = new BufferReader(bytes);
        const window = windowCoder.decode(reader, true);
        const value = valueCoder.decode(reader, false);
        const id = window.id();
        let entry = byWindow.get(id);
        if (entry === undefined) byWindow.set(id, (entry = { window, values: [] }));
        entry.values.push(value);
      }
      yield* this.panesOf(decodeFromBytes(keyCoder, group, true), this.merged([...byWindow.values()]));
    }
  }

  protected override valuesIn(pane: WindowedValue<unknown>): number {
    return (pane.value as KV<unknown, unknown[]>).value.length;
  }

  private *panesOf(key: unknown, windows: Iterable<WindowValues>): Generator<WindowedValue<unknown>> {
    for (const { window, values } of windows) {
      yield { value: kv(key, values), timestamp: window.maxTimestamp(), windows: [window], pane: ON_TIME_AND_ONLY_FIRING };
    }
  }

  /** One key's windows after the WindowFn's merges (one mergeWindows call over all of them). */
  private merged(windows: readonly WindowValues[]): Iterable<WindowValues> {
    const byWindow = new Map(windows.map((e) => [e.window.id(), e]));
    const merges = this.group.windowing.windowFn.mergeWindows!(windows.map((e) => e.window));
    for (const m of merges) {
      const parts = m.from.map((w) => byWindow.get(w.id())).filter((e) => e !== undefined);
      if (parts.length === 0) continue;
      for (const p of parts) byWindow.delete(p.window.id());
      const into = byWindow.get(m.result.id()) ?? { window: m.result, values: [] };
      for (const p of parts) for (const v of p.values) into.values.push(v);
      byWindow.set(m.result.id(), into);
    }
    return byWindow.values();
  }
}

/** A window and its values (one key's). */
interface WindowValues {
  readonly window: BoundedWindow;
  readonly values: unknown[];
}
