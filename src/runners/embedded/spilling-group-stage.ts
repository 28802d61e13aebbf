import type { BoundedWindow, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { GLOBAL_WINDOW, ON_TIME_AND_ONLY_FIRING, kv } from "../../model/index.js";
import { BufferReader, BufferWriter, decodeFromBytes, encodeToBytes } from "../../coders/index.js";
import { groupingReduceFn, windowEntries, type BundleTable, type KeyedWindowTable, type Receiver, type WindowEntry } from "../../runtime/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { SortedSpill, SpilledGroup } from "./spill/sorted-spill.js";
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
 * With merging windows the table and the sort group by key alone and each value carries
 * its window: a key's windows are merged by the WindowFn (one mergeWindows call over all
 * of them) when its group is read back (or taken from the table), and each merged window's
 * values form its pane. One key's values are in memory at a time.
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

  /**
   * With merging windows the table is keyed by key alone (one entry per key, in a marker
   * window), each value kept with its window: a key's windows are merged once, when it is
   * emitted or written, instead of a table entry and a window id per element.
   */
  override addToBundle(bundle: BundleTable<unknown[]>, element: KV<unknown, unknown>, timestamp: Instant, window: BoundedWindow): void {
    if (this.direct) return this.encodeToSpill(element, window);
    if (!this.merging) return super.addToBundle(bundle, element, timestamp, window);
    this.holdFor(window);
    bundle.addParts(kv(element.key, { window, value: element.value } satisfies WindowedItem), timestamp, GLOBAL_WINDOW);
  }

  /**
   * Once the stage has spilled (its input is evidently large) and its windows do not merge,
   * elements are encoded into the external sort as they arrive, without a bundle table of
   * objects per key and window in between; the sort drops a failed bundle's records
   * (mark at its start, rollback on abort) and may write a run only once it commits.
   */
  private get direct(): boolean {
    return !this.merging && this.hasSpilled;
  }

  override bundleStarted(): void {
    if (this.direct) this.spill.mark();
  }

  override bundleCommitted(): void {
    if (this.direct) this.spill.commit();
  }

  override bundleAborted(): void {
    if (this.direct) this.spill.rollback();
  }

  /** One element into the sort: its key and window as the group, its value encoded after. */
  private encodeToSpill(element: KV<unknown, unknown>, window: BoundedWindow): void {
    // As the bundle table would on commit: the output watermark waits for this window's end.
    this.holdFor(window);
    const w = this.writer;
    w.reset();
    this.group.keyCoder.encode(element.key, w, true);
    this.group.windowCoder.encode(window, w, true);
    this.spill.startGroup(w.written());
    w.reset();
    this.encodeValue(element.value);
    this.spill.append(w.written());
  }

  protected unitsOf(bundleEntry: WindowEntry<unknown[]>): number {
    const values = bundleEntry.state;
    this.sampleCountdown -= values.length;
    if (this.sampleCountdown <= 0) {
      this.sampleCountdown = SAMPLE_EVERY;
      const last = values[values.length - 1];
      let size: number;
      try {
        size = encodeToBytes(this.group.valueCoder, this.merging ? (last as WindowedItem).value : last).length;
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

  /** Encodes every value of the table into the spill, grouped by key and window (by key alone when merging, each value after its window). */
  protected write(table: KeyedWindowTable<unknown[]>): number {
    const w = this.writer;
    const { keyCoder, windowCoder } = this.group;
    let encoded = 0;
    for (const ke of table.keys()) {
      if (this.merging) {
        w.reset();
        keyCoder.encode(ke.key, w, true);
        this.spill.startGroup(w.written());
        encoded += w.length;
        for (const item of ke.first.state as WindowedItem[]) {
          w.reset();
          windowCoder.encode(item.window, w, true);
          this.encodeValue(item.value);
          this.spill.append(w.written());
          encoded += w.length;
        }
        this.spill.settle();
        continue;
      }
      for (const we of windowEntries(ke)) {
        w.reset();
        keyCoder.encode(ke.key, w, true);
        windowCoder.encode(we.window, w, true);
        this.spill.startGroup(w.written());
        encoded += w.length;
        for (const v of we.state) {
          w.reset();
          this.encodeValue(v);
          this.spill.append(w.written());
          encoded += w.length;
        }
        this.spill.settle();
      }
    }
    return encoded;
  }

  /** Appends a value to the writer, or fails naming the GroupByKey and the fix. */
  private encodeValue(v: unknown): void {
    try {
      this.group.valueCoder.encode(v, this.writer, false);
    } catch (err) {
      throw new Error(
        `GroupByKey "${this.label}" outgrew its share of the memory budget and writes its values to local disk, ` +
          `and their coder failed: ${err instanceof Error ? err.message : String(err)} Give the PCollection a coder ` +
          `with .withCoder(...), or set --memoryBudget=none to keep every group in memory.`,
      );
    }
  }

  protected *tablePanes(table: KeyedWindowTable<unknown[]>): Generator<WindowedValue<unknown>> {
    for (const ke of table.keys()) {
      const key = this.outputKey(ke.key);
      if (this.merging) {
        const windows = new WindowGroups();
        for (const { window, value } of ke.first.state as WindowedItem[]) windows.add(window, value);
        yield* this.panesOf(key, this.merged(windows));
      } else {
        yield* this.panesOf(key, windowEntries(ke).map((we) => ({ window: we.window, values: we.state })));
      }
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
      const windows = new WindowGroups();
      for (const bytes of values) {
        const reader = new BufferReader(bytes);
        const window = windowCoder.decode(reader, true);
        windows.add(window, valueCoder.decode(reader, false));
      }
      yield* this.panesOf(decodeFromBytes(keyCoder, group, true), this.merged(windows));
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
  private merged(windows: WindowGroups): Iterable<WindowValues> {
    const byWindow = windows.byId;
    const merges = this.group.windowing.windowFn.mergeWindows!([...byWindow.values()].map((e) => e.window));
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

/** A value and its window, before its key's windows are merged. */
interface WindowedItem {
  readonly window: BoundedWindow;
  readonly value: unknown;
}

/** A window and its values (one key's). */
interface WindowValues {
  readonly window: BoundedWindow;
  readonly values: unknown[];
}

/** One key's values by window id, in arrival order. */
class WindowGroups {
  readonly byId = new Map<string, WindowValues>();
  add(window: BoundedWindow, value: unknown): void {
    const id = window.id();
    let entry = this.byId.get(id);
    if (entry === undefined) this.byId.set(id, (entry = { window, values: [] }));
    entry.values.push(value);
  }
}
