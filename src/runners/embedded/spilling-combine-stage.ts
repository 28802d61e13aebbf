import type { BoundedWindow, Coder, WindowedValue } from "../../model/index.js";
import { ON_TIME_AND_ONLY_FIRING, kv } from "../../model/index.js";
import { BufferReader, BufferWriter, decodeFromBytes } from "../../coders/index.js";
import { combiningReduceFn, windowEntries, type KeyedWindowTable, type Receiver, type WindowEntry } from "../../runtime/index.js";
import type { CombineFn } from "../../transforms/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { SortedSpill, SpilledGroup } from "./spill/sorted-spill.js";
import { TableBackedStage, type TableSpec } from "./spill/table-backed-stage.js";

/** A lifted Combine that may spill: its CombineFn and the coder of its accumulators. */
export interface SpillingCombineSpec extends TableSpec {
  readonly combineFn: CombineFn<unknown, unknown, unknown>;
  readonly accumulatorCoder: Coder<unknown>;
}

/** What an accumulator entry costs in memory before its size has been measured. */
const INITIAL_ENTRY_BYTES = 256;
/** A live accumulator's cost over its encoded size (objects, the table's entries). */
const LIVE_OVER_ENCODED = 3;

/**
 * A lifted Combine (combinePerKey) of the embedded runner under a memory budget, for the
 * same inputs as a spilling GroupByKey (bounded, default trigger: one ON_TIME pane per
 * window, stamped with its end). Committed bundles are combined into a table of
 * accumulators per key and window, as in memory (spill/table-backed-stage.ts); when the
 * table's estimated size (entries × measured entry size) passes the stage's share of the
 * budget, every accumulator (compacted) is encoded with the accumulator coder and written,
 * sorted by key and window, as a run on local disk, and the table starts empty. When the
 * input has ended, the runs and the table are merged: each key and window's accumulators
 * go through mergeAccumulators once and extractOutput gives its pane. A Combine that never
 * filled its share emits from the table without encoding.
 */
export class SpillingCombineStage extends TableBackedStage<unknown> {
  protected readonly encodeAfterSpill = false;
  private readonly writer = new BufferWriter();

  constructor(
    label: string,
    input: string,
    entryPc: string,
    entry: Receiver,
    private readonly combine: SpillingCombineSpec,
    spill: SortedSpill,
    limitBytes: number,
    reporter: LateDataReporter,
  ) {
    super(label, input, entryPc, entry, combine, spill, limitBytes, reporter, combiningReduceFn(combine.combineFn), INITIAL_ENTRY_BYTES);
  }

  protected unitsOf(_entry: WindowEntry<unknown>, isNew: boolean): number {
    return isNew ? 1 : 0;
  }

  protected override measured(encodedBytes: number, entries: number): void {
    // Learn what an entry costs from what was encoded, so the next table is sized to the share.
    if (entries > 0) this.unitBytes = Math.max(INITIAL_ENTRY_BYTES / 4, Math.ceil((encodedBytes / entries) * LIVE_OVER_ENCODED));
  }

  /** Encodes every accumulator of the table into the spill, grouped by key and window. */
  protected write(table: KeyedWindowTable<unknown>): number {
    const w = this.writer;
    const fn = this.combine.combineFn;
    let encoded = 0;
    for (const ke of table.keys()) {
      for (const we of windowEntries(ke)) {
        w.reset();
        this.spec.keyCoder.encode(ke.key, w, true);
        this.spec.windowCoder.encode(we.window, w, true);
        const group = w.finish();
        w.reset();
        try {
          this.combine.accumulatorCoder.encode(fn.compact ? fn.compact(we.state) : we.state, w, false);
        } catch (err) {
          throw new Error(
            `Combine "${this.label}" writes its accumulators to local disk under --memoryBudget, and its accumulator ` +
              `coder failed: ${err instanceof Error ? err.message : String(err)} Give the CombineFn an accumulatorCoder, ` +
              `or set --memoryBudget=none to keep every accumulator in memory.`,
          );
        }
        this.spill.add(group, w.written());
        encoded += group.length + w.length;
      }
    }
    return encoded;
  }

  private pane(key: unknown, window: BoundedWindow, accumulator: unknown): WindowedValue<unknown> {
    const value = kv(key, this.combine.combineFn.extractOutput(accumulator));
    return { value, timestamp: window.maxTimestamp(), windows: [window], pane: ON_TIME_AND_ONLY_FIRING };
  }

  protected *tablePanes(table: KeyedWindowTable<unknown>): Generator<WindowedValue<unknown>> {
    for (const ke of table.keys()) for (const we of windowEntries(ke)) yield this.pane(this.outputKey(ke.key), we.window, we.state);
  }

  protected *spilledPanes(groups: Generator<SpilledGroup>): Generator<WindowedValue<unknown>> {
    for (const { group, values } of groups) {
      const reader = new BufferReader(group);
      const key = this.spec.keyCoder.decode(reader, true);
      const window = this.spec.windowCoder.decode(reader, true);
      const accumulators = values.map((v) => decodeFromBytes(this.combine.accumulatorCoder, v));
      const merged = accumulators.length === 1 ? accumulators[0] : this.combine.combineFn.mergeAccumulators(accumulators);
      yield this.pane(key, window, merged);
    }
  }
}
