import type { BoundedWindow, Coder, KV, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { MAX_TIMESTAMP, ON_TIME_AND_ONLY_FIRING, kv } from "../../model/index.js";
import { BufferReader, BufferWriter, decodeFromBytes, encodeToBytes } from "../../coders/index.js";
import type { Receiver } from "../../runtime/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { Sink } from "./sinks.js";
import { SortedSpill, type SpilledGroup } from "./spill/sorted-spill.js";
import { DiskBackedStage } from "./spill/disk-backed-stage.js";
import type { Stage, StepContext } from "./stage.js";

/** Where a spilling stage reports the bytes it wrote to disk. */
export interface SpillReporter {
  spilled(step: string, bytes: number): void;
}

/** Coders and windowing of a GroupByKey that may spill. */
export interface SpillingGroupSpec {
  readonly keyCoder: Coder<unknown>;
  readonly valueCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  readonly windowing: WindowingStrategy;
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

/** Groups emitted per step once the input has ended, so output flows in bounded batches. */
const GROUPS_PER_STEP = 1000;

/**
 * A GroupByKey of the embedded runner under a memory budget (`--memoryBudget`): committed
 * bundles add their elements, encoded with the key, value and window coders, to an
 * external sort (spill/sorted-spill.ts) that writes sorted runs to local disk whenever the
 * stage's share of the budget is full. When the input has ended, the runs are merged and
 * each group is emitted as its window's only pane, a batch of groups per step. The output
 * watermark is held at the earliest window end seen until then, as the in-memory stage's
 * holds would.
 *
 * With merging windows the sort groups by key alone and each value carries its window:
 * a key's windows are merged by the WindowFn (one mergeWindows call over all of them) when
 * its group is read back, and each merged window's values (in arrival order) form its pane.
 * One key's values are in memory at a time.
 */
export class SpillingGroupStage extends DiskBackedStage implements Stage {
  readonly sink: Sink;
  private groups: Generator<SpilledGroup> | undefined;
  private finished = false;
  private readonly writer = new BufferWriter();
  private readonly merging: boolean;

  constructor(
    label: string,
    input: string,
    readonly entryPc: string,
    readonly entry: Receiver,
    private readonly spec: SpillingGroupSpec,
    spill: SortedSpill,
    reporter: LateDataReporter,
  ) {
    super(label, input, spill, spec.windowing);
    this.merging = spec.windowing.windowFn.isMerging;
    this.sink = new SpillSink(label, this, reporter);
  }

  /** @internal a committed element for `window`. */
  add(key: unknown, value: unknown, window: BoundedWindow): void {
    const w = this.writer;
    w.reset();
    this.spec.keyCoder.encode(key, w, true);
    if (this.merging) {
      const group = w.finish();
      w.reset();
      this.spec.windowCoder.encode(window, w, true);
      this.spec.valueCoder.encode(value, w, false);
      this.spill.add({ group, value: w.finish() });
    } else {
      this.spec.windowCoder.encode(window, w, true);
      this.spill.add({ group: w.finish(), value: encodeToBytes(this.spec.valueCoder, value) });
    }
    const end = window.maxTimestamp();
    if (end < this.hold) this.hold = end;
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    if (this.finished || this.inputWatermark < MAX_TIMESTAMP) return false;
    this.groups ??= this.spill.groups();
    const panes: WindowedValue<unknown>[] = [];
    while (panes.length < GROUPS_PER_STEP) {
      const next = this.groups.next();
      if (next.done === true) {
        this.finished = true;
        this.hold = Infinity;
        break;
      }
      if (this.merging) this.mergedPanes(next.value, panes);
      else panes.push(this.pane(next.value));
    }
    if (panes.length === 0) return false;
    await ctx.emit(panes);
    return true;
  }

  private pane({ group, values }: SpilledGroup): WindowedValue<unknown> {
    const reader = new BufferReader(group);
    const key = this.spec.keyCoder.decode(reader, true);
    const window = this.spec.windowCoder.decode(reader, true);
    const decoded = values.map((v) => decodeFromBytes(this.spec.valueCoder, v));
    return { value: kv(key, decoded), timestamp: window.maxTimestamp(), windows: [window], pane: ON_TIME_AND_ONLY_FIRING };
  }

  /** One key's panes under a merging WindowFn: its windows merged, values by merged window. */
  private mergedPanes({ group, values }: SpilledGroup, out: WindowedValue<unknown>[]): void {
    const key = decodeFromBytes(this.spec.keyCoder, group, true);
    const byWindow = new Map<string, { window: BoundedWindow; values: unknown[] }>();
    for (const bytes of values) {
      const reader = new BufferReader(bytes);
      const window = this.spec.windowCoder.decode(reader, true);
      const value = this.spec.valueCoder.decode(reader, false);
      const id = window.id();
      let entry = byWindow.get(id);
      if (entry === undefined) byWindow.set(id, (entry = { window, values: [] }));
      entry.values.push(value);
    }
    const merges = this.spec.windowing.windowFn.mergeWindows!([...byWindow.values()].map((e) => e.window));
    for (const m of merges) {
      const parts = m.from.map((w) => byWindow.get(w.id())).filter((e) => e !== undefined);
      if (parts.length === 0) continue;
      for (const p of parts) byWindow.delete(p.window.id());
      const merged = byWindow.get(m.result.id());
      const into = merged ?? { window: m.result, values: [] };
      for (const p of parts) into.values.push(...p.values);
      byWindow.set(m.result.id(), into);
    }
    for (const { window, values: vs } of byWindow.values()) {
      out.push({ value: kv(key, vs), timestamp: window.maxTimestamp(), windows: [window], pane: ON_TIME_AND_ONLY_FIRING });
    }
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && (this.finished || this.spill.isEmpty);
  }

}

/**
 * Feeds a SpillingGroupStage. A bundle's elements wait here until the bundle commits, so a
 * failed bundle adds nothing; elements of expired windows are dropped and counted.
 */
class SpillSink implements Sink {
  private pending: { key: unknown; value: unknown; window: BoundedWindow }[] = [];
  private late = 0;

  constructor(
    readonly label: string,
    private readonly stage: SpillingGroupStage,
    private readonly reporter: LateDataReporter,
  ) {}

  startBundle(): void {
    this.pending = [];
    this.late = 0;
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    const { key, value } = wv.value as KV<unknown, unknown>;
    for (const w of wv.windows) {
      if (this.stage.isLate(w)) this.late++;
      else this.pending.push({ key, value, window: w });
    }
  }
  commit(): void {
    if (this.late > 0) this.reporter.droppedDueToLateness(this.label, this.late);
    for (const e of this.pending) this.stage.add(e.key, e.value, e.window);
    this.pending = [];
    this.late = 0;
  }
  abort(): void {
    this.pending = [];
    this.late = 0;
  }
}
