import type { BoundedWindow, Coder, KV, WindowedValue } from "../../model/index.js";
import { MAX_TIMESTAMP, ON_TIME_AND_ONLY_FIRING, kv } from "../../model/index.js";
import { BufferReader, BufferWriter, decodeFromBytes } from "../../coders/index.js";
import { BundleTable, KeyedWindowTable, combiningReduceFn, windowEntries, type Receiver, type ReduceFn } from "../../runtime/index.js";
import type { CombineFn } from "../../transforms/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { Sink } from "./sinks.js";
import type { SortedSpill } from "./spill/sorted-spill.js";
import type { SpillingGroupSpec } from "./spilling-group-stage.js";
import { DiskBackedStage } from "./spill/disk-backed-stage.js";
import type { Stage, StepContext } from "./stage.js";

/** A lifted Combine that may spill: its CombineFn and the coder of its accumulators. */
export interface SpillingCombineSpec extends Omit<SpillingGroupSpec, "valueCoder"> {
  readonly combineFn: CombineFn<unknown, unknown, unknown>;
  readonly accumulatorCoder: Coder<unknown>;
}

/** Groups emitted per step once the input has ended. */
const GROUPS_PER_STEP = 1000;
/** What an accumulator entry costs in memory before its size has been measured. */
const INITIAL_ENTRY_BYTES = 256;
/** A live accumulator's cost over its encoded size (objects, the table's entries). */
const LIVE_OVER_ENCODED = 3;

/**
 * A lifted Combine (combinePerKey) of the embedded runner under a memory budget, for the
 * same inputs as a spilling GroupByKey (bounded, default trigger: one ON_TIME pane per
 * window, stamped with its end). Committed bundles are combined into a table of
 * accumulators per key and window, as in memory; when the table's estimated size passes
 * the stage's share of the budget, every accumulator (compacted) is encoded with the
 * accumulator coder and written, sorted by key and window, as a run on local disk, and the
 * table starts empty. When the input has ended, the runs and the table are merged: each
 * key and window's accumulators go through mergeAccumulators once and extractOutput gives
 * its pane. A Combine that never filled its share emits from the table without encoding.
 */
export class SpillingCombineStage extends DiskBackedStage implements Stage {
  readonly sink: Sink;
  private table: KeyedWindowTable<unknown>;
  private entries = 0;
  private entryBytes = INITIAL_ENTRY_BYTES;
  private spilledRuns = 0;
  private panes: Iterator<WindowedValue<unknown>> | undefined;
  private finished = false;
  private readonly reduceFn: ReduceFn<unknown>;
  private readonly writer = new BufferWriter();

  constructor(
    label: string,
    input: string,
    readonly entryPc: string,
    readonly entry: Receiver,
    private readonly spec: SpillingCombineSpec,
    spill: SortedSpill,
    private readonly limitBytes: number,
    reporter: LateDataReporter,
  ) {
    super(label, input, spill, spec.windowing);
    this.reduceFn = combiningReduceFn(spec.combineFn);
    this.table = new KeyedWindowTable(spec.keyCoder);
    this.sink = new CombineSpillSink(label, this, () => new BundleTable(spec.keyCoder, this.reduceFn), reporter);
  }

  /** @internal a committed bundle's accumulators, merged into the table. */
  absorb(bundle: BundleTable<unknown>): void {
    for (const ke of bundle.table.keys()) {
      for (const we of windowEntries(ke)) {
        const e = this.table.entry(ke.key, we.window, we.minTimestamp, () => this.spec.combineFn.createAccumulator());
        if (e.count === 1) {
          this.entries++;
          const end = we.window.maxTimestamp();
          if (end < this.hold) this.hold = end;
        }
        e.state = this.reduceFn.merge(e.state, we.state);
      }
    }
    if (this.entries * this.entryBytes > this.limitBytes) {
      this.moveTableToSpill();
      this.spill.flush();
      this.spilledRuns++;
    }
  }

  /** Encodes every accumulator of the table into the spill, and empties the table. */
  private moveTableToSpill(): void {
    const w = this.writer;
    const fn = this.spec.combineFn;
    let encoded = 0;
    for (const ke of this.table.keys()) {
      for (const we of windowEntries(ke)) {
        w.reset();
        this.spec.keyCoder.encode(ke.key, w, true);
        this.spec.windowCoder.encode(we.window, w, true);
        const group = w.finish();
        w.reset();
        try {
          this.spec.accumulatorCoder.encode(fn.compact ? fn.compact(we.state) : we.state, w, false);
        } catch (err) {
          throw new Error(
            `Combine "${this.label}" writes its accumulators to local disk under --memoryBudget, and its accumulator ` +
              `coder failed: ${err instanceof Error ? err.message : String(err)} Give the CombineFn an accumulatorCoder, ` +
              `or run without --memoryBudget.`,
          );
        }
        const value = w.finish();
        this.spill.add({ group, value });
        encoded += group.length + value.length;
      }
    }
    // Learn what an entry costs from what was encoded, so the next table is sized to the share.
    if (this.entries > 0) this.entryBytes = Math.max(INITIAL_ENTRY_BYTES / 4, Math.ceil((encoded / this.entries) * LIVE_OVER_ENCODED));
    this.table = new KeyedWindowTable(this.spec.keyCoder);
    this.entries = 0;
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    if (this.finished || this.inputWatermark < MAX_TIMESTAMP) return false;
    if (this.panes === undefined) {
      if (this.spilledRuns === 0) this.panes = this.tablePanes();
      else {
        this.moveTableToSpill();
        this.panes = this.spilledPanes();
      }
    }
    const batch: WindowedValue<unknown>[] = [];
    while (batch.length < GROUPS_PER_STEP) {
      const next = this.panes.next();
      if (next.done === true) {
        this.finished = true;
        this.hold = Infinity;
        break;
      }
      batch.push(next.value);
    }
    if (batch.length === 0) return false;
    await ctx.emit(batch);
    return true;
  }

  private pane(key: unknown, window: BoundedWindow, accumulator: unknown): WindowedValue<unknown> {
    const value = kv(key, this.spec.combineFn.extractOutput(accumulator));
    return { value, timestamp: window.maxTimestamp(), windows: [window], pane: ON_TIME_AND_ONLY_FIRING };
  }

  private *tablePanes(): Generator<WindowedValue<unknown>> {
    const table = this.table;
    this.table = new KeyedWindowTable(this.spec.keyCoder);
    this.entries = 0;
    for (const ke of table.keys()) for (const we of windowEntries(ke)) yield this.pane(ke.key, we.window, we.state);
  }

  private *spilledPanes(): Generator<WindowedValue<unknown>> {
    for (const { group, values } of this.spill.groups()) {
      const reader = new BufferReader(group);
      const key = this.spec.keyCoder.decode(reader, true);
      const window = this.spec.windowCoder.decode(reader, true);
      const accumulators = values.map((v) => decodeFromBytes(this.spec.accumulatorCoder, v));
      const merged = accumulators.length === 1 ? accumulators[0] : this.spec.combineFn.mergeAccumulators(accumulators);
      yield this.pane(key, window, merged);
    }
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && (this.finished || (this.panes === undefined && this.entries === 0 && this.spill.isEmpty));
  }

}

/**
 * Feeds a SpillingCombineStage: a bundle's elements are combined into a table of their own,
 * merged into the stage's when the bundle commits (a failed bundle adds nothing); elements
 * of expired windows are dropped and counted.
 */
class CombineSpillSink implements Sink {
  private partial: BundleTable<unknown>;
  private late = 0;

  constructor(
    readonly label: string,
    private readonly stage: SpillingCombineStage,
    private readonly makeTable: () => BundleTable<unknown>,
    private readonly reporter: LateDataReporter,
  ) {
    this.partial = makeTable();
  }

  startBundle(): void {
    this.partial.clear();
    this.late = 0;
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    for (const w of wv.windows) {
      if (this.stage.isLate(w)) this.late++;
      else this.partial.addParts(wv.value as KV<unknown, unknown>, wv.timestamp, w);
    }
  }
  commit(): void {
    if (this.late > 0) this.reporter.droppedDueToLateness(this.label, this.late);
    if (!this.partial.isEmpty) {
      this.stage.absorb(this.partial);
      this.partial = this.makeTable();
    }
    this.late = 0;
  }
  abort(): void {
    this.partial.clear();
    this.late = 0;
  }
}
