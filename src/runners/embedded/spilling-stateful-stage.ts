import type { BoundedWindow, Coder, Instant, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { MAX_TIMESTAMP, NO_FIRING, kv } from "../../model/index.js";
import { BufferReader, BufferWriter, readInstant, writeInstant } from "../../coders/index.js";
import { requireKeyed } from "../../runtime/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { Sink } from "./sinks.js";
import type { SortedSpill } from "./spill/sorted-spill.js";
import { DiskBackedStage } from "./spill/disk-backed-stage.js";
import type { Stage, StepContext } from "./stage.js";
import type { StatefulStage } from "./stateful-stage.js";

/** Coders and windowing of a stateful ParDo that may run sorted by key. */
export interface SpillingStatefulSpec {
  readonly keyCoder: Coder<unknown>;
  readonly valueCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  readonly windowing: WindowingStrategy;
}

/** Elements handed to the DoFn per step once the input has ended (whole groups at a time). */
const ELEMENTS_PER_STEP = 10_000;

/**
 * A stateful ParDo of a batch job under a memory budget (`--memoryBudget`), run sorted by
 * key, as Flink's BATCH execution mode runs keyed operators: instead of holding the state
 * of every key and window while the input is read, the input is written to an external
 * sort (spill/sorted-spill.ts, runs on local disk when the stage's share of the budget is
 * full), grouped by key and window. When the input has ended, each group goes through the
 * in-memory StatefulStage on its own time line: the watermark starts before any element,
 * the group's elements are processed in arrival order, then the watermark passes the end
 * of time, so every timer of the group fires and its window expires (state cleared after
 * `onWindowExpiration`). Only the groups of one step are in memory at a time.
 *
 * The results are those of a valid Beam execution (a watermark may be held back): nothing
 * is late, a timer fires after all of its key and window's elements. Elements of a window
 * past its garbage-collection time when they arrive are dropped and counted, as in memory.
 */
export class SpillingStatefulStage extends DiskBackedStage implements Stage {
  readonly entryPc = undefined;
  readonly sink: Sink;
  private groups: ReturnType<SortedSpill["groups"]> | undefined;
  private finished = false;
  private readonly writer = new BufferWriter();

  constructor(
    label: string,
    input: string,
    private readonly inner: StatefulStage,
    private readonly spec: SpillingStatefulSpec,
    spill: SortedSpill,
    reporter: LateDataReporter,
  ) {
    super(label, input, spill, spec.windowing);
    this.sink = new StatefulSpillSink(label, this, reporter);
  }

  get entry(): StatefulStage["entry"] {
    return this.inner.entry;
  }

  /** @internal a committed element: grouped by key and window, its timestamp kept with its value. */
  add(key: unknown, value: unknown, window: BoundedWindow, timestamp: Instant): void {
    const w = this.writer;
    w.reset();
    this.spec.keyCoder.encode(key, w, true);
    this.spec.windowCoder.encode(window, w, true);
    const group = w.finish();
    w.reset();
    writeInstant(w, timestamp);
    this.spec.valueCoder.encode(value, w, true);
    this.spill.add(group, w.written());
    // The output watermark waits for the earliest element not yet processed.
    if (timestamp < this.hold) this.hold = timestamp;
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    // With side inputs, the groups wait until every side input is complete, as a batch
    // runner materializes side inputs before the stage that reads them: no group waits then.
    if (this.finished || this.inputWatermark < MAX_TIMESTAMP || !this.inner.sideInputsComplete) return false;
    this.groups ??= this.spill.groups();
    const elements: WindowedValue<unknown>[] = [];
    while (elements.length < ELEMENTS_PER_STEP) {
      const next = this.groups.next();
      if (next.done === true) {
        this.finished = true;
        this.hold = Infinity;
        break;
      }
      const reader = new BufferReader(next.value.group);
      const key = this.spec.keyCoder.decode(reader, true);
      const window = this.spec.windowCoder.decode(reader, true);
      for (const bytes of next.value.values) {
        const r = new BufferReader(bytes);
        const timestamp = readInstant(r);
        elements.push({ value: kv(key, this.spec.valueCoder.decode(r, true)), timestamp, windows: [window], pane: NO_FIRING });
      }
    }
    if (elements.length === 0) return false;
    // These groups' own time line: from before their first element to the end of time.
    this.inner.restartTime();
    this.inner.buffer.push(...elements);
    await this.inner.step({ now: ctx.now, inputWatermark: MAX_TIMESTAMP, draining: ctx.draining, emit: (e) => ctx.emit(e) });
    return true;
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && (this.finished || this.spill.isEmpty);
  }

}

/**
 * Feeds a SpillingStatefulStage. A bundle's elements wait here until the bundle commits, so
 * a failed bundle adds nothing; an element in several windows is added once per window.
 */
class StatefulSpillSink implements Sink {
  private pending: WindowedValue<unknown>[] = [];

  constructor(
    readonly label: string,
    private readonly stage: SpillingStatefulStage,
    private readonly reporter: LateDataReporter,
  ) {}

  startBundle(): void {
    this.pending = [];
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.pending.push(wv);
  }
  commit(): void {
    let late = 0;
    for (const wv of this.pending) {
      for (const w of wv.windows) {
        const { key, value } = requireKeyed(this.label, wv.value, w);
        if (this.stage.isLate(w)) late++;
        else this.stage.add(key, value, w, wv.timestamp);
      }
    }
    if (late > 0) this.reporter.droppedDueToLateness(this.label, late);
    this.pending = [];
  }
  abort(): void {
    this.pending = [];
  }
}
