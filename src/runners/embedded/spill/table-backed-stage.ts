import type { BoundedWindow, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../../../model/index.js";
import { MAX_TIMESTAMP } from "../../../model/index.js";
import { BundleTable, KeyedWindowTable, windowEntries, type Receiver, type ReduceFn, type WindowEntry } from "../../../runtime/index.js";
import { keyIdentifier } from "../../../transforms/index.js";
import type { LateDataReporter } from "../materialized-stages.js";
import type { Sink } from "../sinks.js";
import type { Stage, StepContext } from "../stage.js";
import { DiskBackedStage } from "./disk-backed-stage.js";
import type { SortedSpill, SpilledGroup } from "./sorted-spill.js";

/**
 * Output per step once the input has ended, so it flows in bounded batches: at most this
 * many panes, and panes of at most VALUES_PER_STEP values (a GroupByKey's), with at least
 * one pane per step.
 */
const PANES_PER_STEP = 1000;
const VALUES_PER_STEP = 10_000;

/** Key, window and windowing of a keyed step that may go through the disk. */
export interface TableSpec {
  readonly keyCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  readonly windowing: WindowingStrategy;
}

/**
 * A GroupByKey or lifted Combine of a batch job under a memory budget: committed bundles
 * are reduced into a table per key and window exactly as in memory (values in arrival
 * order, or accumulators), and nothing is encoded while the table's estimated size
 * (units × unitBytes, as the subclass counts them) stays within the stage's share. When it
 * passes the share, the subclass encodes the whole table into the external sort, which
 * writes it as one sorted run on local disk, and the table starts empty. When the input
 * has ended, a stage that never spilled emits from its table; otherwise the table is
 * written too and the runs are merged. Every window fires one ON_TIME pane, stamped with
 * its end, as the in-memory ReduceRunner fires it for these inputs (spilling-group-stage.ts
 * `canSpillGroup`).
 */
export abstract class TableBackedStage<S> extends DiskBackedStage implements Stage {
  readonly sink: Sink;
  protected table: KeyedWindowTable<S>;
  /** What the table holds, in the subclass's unit (values, or accumulators). */
  protected units = 0;
  /** Estimated bytes of memory per unit. */
  protected unitBytes: number;
  private spilledRuns = 0;
  private panes: Iterator<WindowedValue<unknown>> | undefined;
  /**
   * The key of a pane taken from the table: the key decoded from its encoding, as the keys
   * of spilled panes (read back from disk) and of the in-memory ReduceRunner's panes are.
   */
  protected readonly outputKey: (key: unknown) => unknown;
  private finished = false;

  constructor(
    label: string,
    input: string,
    readonly entryPc: string,
    readonly entry: Receiver,
    protected readonly spec: TableSpec,
    spill: SortedSpill,
    private readonly limitBytes: number,
    reporter: LateDataReporter,
    protected readonly reduceFn: ReduceFn<S>,
    initialUnitBytes: number,
  ) {
    super(label, input, spill, spec.windowing);
    const keys = keyIdentifier(spec.keyCoder);
    this.outputKey = (key) => keys.outputKey(key);
    this.unitBytes = initialUnitBytes;
    this.table = new KeyedWindowTable(spec.keyCoder);
    this.sink = new TableSink(label, this, () => new BundleTable(spec.keyCoder, reduceFn), reporter);
  }

  /**
   * Whether bundles are encoded into the external sort directly once the stage has spilled
   * (a GroupByKey: its values gain nothing from a table; a Combine's table keeps combining).
   */
  protected abstract readonly encodeAfterSpill: boolean;
  /** The units a bundle's entry adds to the table (`isNew`: its key and window were not there). */
  protected abstract unitsOf(bundleEntry: WindowEntry<S>, isNew: boolean): number;
  /** Encodes every entry of `table` into the spill; returns the bytes encoded. */
  protected abstract write(table: KeyedWindowTable<S>): number;
  /** The panes of a table that never went to disk. */
  protected abstract tablePanes(table: KeyedWindowTable<S>): Generator<WindowedValue<unknown>>;
  /** The panes of the merged runs. */
  protected abstract spilledPanes(groups: Generator<SpilledGroup>): Generator<WindowedValue<unknown>>;

  /** Whether the stage has written a run (its input outgrew its share once). */
  protected get hasSpilled(): boolean {
    return this.spilledRuns > 0;
  }

  /** @internal a bundle starts (a subclass writing to the spill as elements arrive marks it). */
  bundleStarted(): void {}

  /** @internal the bundle's elements are committed; called after `absorb`, if any. */
  bundleCommitted(): void {}

  /** @internal the bundle failed: whatever it added outside its table is dropped. */
  bundleAborted(): void {}

  /** @internal a committed bundle, reduced into the table. */
  absorb(bundle: BundleTable<S>): void {
    if (this.encodeAfterSpill && this.spilledRuns > 0) {
      // This stage outgrew its share once: its input is large, so bundles go straight to
      // the external sort as bytes (far fewer live objects than a table of values).
      for (const ke of bundle.table.keys()) for (const we of windowEntries(ke)) this.holdFor(we.window);
      this.write(bundle.table);
      return;
    }
    for (const ke of bundle.table.keys()) {
      for (const we of windowEntries(ke)) {
        const e = this.table.entry(ke.key, we.window, we.minTimestamp, () => this.reduceFn.create());
        const isNew = e.count === 1;
        if (isNew) this.holdFor(we.window);
        this.units += this.unitsOf(we, isNew);
        e.state = this.reduceFn.merge(e.state, we.state);
      }
    }
    if (this.units * this.unitBytes > this.limitBytes) this.spillTable();
  }

  /**
   * @internal Adds an element in one of its windows to a bundle's table; a subclass may key
   * the table otherwise (then it holds the output watermark for `window` itself, with
   * holdFor, before the bundle commits: a failed bundle can only have held it earlier).
   */
  addToBundle(bundle: BundleTable<S>, element: KV<unknown, unknown>, timestamp: Instant, window: BoundedWindow): void {
    bundle.addParts(element, timestamp, window);
  }

  /** The output watermark waits for the end of a window the stage will emit. */
  protected holdFor(window: BoundedWindow): void {
    const end = window.maxTimestamp();
    if (end < this.hold) this.hold = end;
  }

  /** Writes the table as a run, learns what a unit costs from it, and starts a new table. */
  private spillTable(): void {
    const encoded = this.write(this.table);
    this.measured(encoded, this.units);
    this.table = new KeyedWindowTable(this.spec.keyCoder);
    this.units = 0;
    this.spill.flush();
    this.spilledRuns++;
  }

  /** How many values a pane carries, for the step's batch limit (a Combine's: 1). */
  protected valuesIn(pane: WindowedValue<unknown>): number {
    void pane;
    return 1;
  }

  /** Called with what a spilled table encoded to; the subclass may refine unitBytes. */
  protected measured(encodedBytes: number, units: number): void {
    void encodedBytes;
    void units;
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    if (this.finished || this.inputWatermark < MAX_TIMESTAMP) return false;
    if (this.panes === undefined) {
      const table = this.table;
      this.table = new KeyedWindowTable(this.spec.keyCoder);
      this.units = 0;
      if (this.spilledRuns === 0) this.panes = this.tablePanes(table);
      else {
        this.write(table);
        this.panes = this.spilledPanes(this.spill.groups());
      }
    }
    const batch: WindowedValue<unknown>[] = [];
    let values = 0;
    while (batch.length < PANES_PER_STEP && values < VALUES_PER_STEP) {
      const next = this.panes.next();
      if (next.done === true) {
        this.finished = true;
        this.hold = Infinity;
        break;
      }
      batch.push(next.value);
      values += this.valuesIn(next.value);
    }
    if (batch.length === 0) return false;
    await ctx.emit(batch);
    return true;
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && (this.finished || (this.panes === undefined && this.table.keyCount === 0 && this.spill.isEmpty));
  }
}

/**
 * Feeds a TableBackedStage: a bundle's elements are reduced into a table of their own,
 * merged into the stage's when the bundle commits (a failed bundle adds nothing); elements
 * of expired windows are dropped and counted.
 */
class TableSink<S> implements Sink {
  private partial: BundleTable<S>;
  private late = 0;

  constructor(
    readonly label: string,
    private readonly stage: TableBackedStage<S>,
    private readonly makeTable: () => BundleTable<S>,
    private readonly reporter: LateDataReporter,
  ) {
    this.partial = makeTable();
  }

  startBundle(): void {
    this.partial.clear();
    this.late = 0;
    this.stage.bundleStarted();
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.receiveParts(wv.value, wv.timestamp, wv.windows);
  }
  /** The fused path: no WindowedValue per element from the edge's checks in front. */
  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      if (this.stage.isLate(w)) this.late++;
      else this.stage.addToBundle(this.partial, value as KV<unknown, unknown>, timestamp, w);
    }
  }
  commit(): void {
    if (this.late > 0) this.reporter.droppedDueToLateness(this.label, this.late);
    if (!this.partial.isEmpty) {
      this.stage.absorb(this.partial);
      this.partial = this.makeTable();
    }
    this.stage.bundleCommitted();
    this.late = 0;
  }
  abort(): void {
    this.partial.clear();
    this.late = 0;
    this.stage.bundleAborted();
  }
}
