import type { BoundedWindow, Instant, KV, WindowedValue } from "../../model/index.js";
import { MAX_TIMESTAMP } from "../../model/index.js";
import { BundleTable, DoFnOperation, ReduceRunner, type Receiver, type ReduceEnv } from "../../runtime/index.js";
import type { PCollectionView } from "../../transforms/index.js";
import type { SideInputStore } from "../../runtime/index.js";
import { PushedBackElements } from "./pushed-back-elements.js";
import type { Sink } from "./sinks.js";
import type { Stage, StepContext } from "./stage.js";

/** Elements a sink dropped or diverted because they were too late, reported on commit. */
export interface LateDataReporter {
  droppedDueToLateness(step: string, n: number): void;
  droppedDueToClosedWindow(step: string, n: number): void;
}

/**
 * A GroupByKey or lifted Combine.perKey: bundles write into per-bundle tables (TableSink)
 * that the ReduceRunner absorbs on commit; firings — when elements arrive, when the
 * watermark or the clock moves — are emitted downstream on the stage's next step.
 */
export class ReduceStage<S> implements Stage {
  readonly isSource = false;
  readonly idle = false;
  readonly reads: readonly string[];
  private inputWatermark: Instant;
  private output: Instant;
  private pending: WindowedValue<unknown>[] = [];
  readonly sink: TableSink<S>;

  constructor(
    readonly label: string,
    input: string,
    readonly entryPc: string,
    readonly entry: Receiver,
    readonly runner: ReduceRunner<S>,
    makeTable: () => BundleTable<S>,
    reporter: LateDataReporter,
    lateOutput: Receiver | undefined,
    startWatermark: Instant,
    /**
     * Processing time. Read when a bundle commits too: a pane's processing-time trigger
     * starts from when its first element arrived, which may be before the stage's first step.
     */
    private readonly now: () => Instant,
  ) {
    this.reads = [input];
    this.inputWatermark = startWatermark;
    this.output = startWatermark;
    this.sink = new TableSink(label, this, makeTable, reporter, lateOutput);
  }

  /** @internal the sink's view of the stage */
  isLate(window: BoundedWindow): boolean {
    return this.runner.isLate(window, this.inputWatermark);
  }

  /** @internal called by the sink when a bundle commits */
  absorb(table: BundleTable<S>): void {
    this.runner.absorb(table, this.env(), this.pending);
  }

  private env(): ReduceEnv {
    return { inputWatermark: this.inputWatermark, outputWatermark: this.output, processingTime: this.now() };
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    this.runner.advance(this.env(), this.pending);
    if (this.pending.length === 0) return false;
    const panes = this.pending;
    this.pending = [];
    await ctx.emit(panes);
    return true;
  }

  outputWatermark(inputWatermark: Instant): Instant {
    this.output = Math.max(this.output, this.runner.outputWatermark(inputWatermark));
    return this.output;
  }

  nextWakeup(): Instant {
    return this.runner.nextProcessingWakeup();
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && this.runner.size === 0 && this.pending.length === 0;
  }
}

/**
 * Feeds a ReduceStage. Each bundle writes into its own table, absorbed on commit, so a
 * failed bundle leaves no trace. Elements whose window is past the allowed lateness are
 * dropped here (counted as droppedDueToLateness) or sent to the late-data output.
 */
export class TableSink<S> implements Sink {
  private partial: BundleTable<S>;
  private late = 0;
  private lateElements: WindowedValue<unknown>[] = [];

  constructor(
    readonly label: string,
    private readonly stage: ReduceStage<S>,
    private readonly makeTable: () => BundleTable<S>,
    private readonly reporter: LateDataReporter,
    private readonly lateOutput: Receiver | undefined,
  ) {
    this.partial = makeTable();
  }
  startBundle(): void {
    this.partial.clear();
    this.late = 0;
    this.lateElements = [];
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.receiveParts(wv.value, wv.timestamp, wv.windows);
  }
  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      if (this.stage.isLate(w)) {
        this.late++;
        if (this.lateOutput) this.lateElements.push({ value, timestamp, windows: [w], pane: { isFirst: true, isLast: true, timing: "UNKNOWN", index: 0, nonSpeculativeIndex: 0 } });
        continue;
      }
      this.partial.addParts(value as KV<unknown, unknown>, timestamp, w);
    }
  }
  commit(): void {
    if (this.late > 0) this.reporter.droppedDueToLateness(this.label, this.late);
    if (!this.partial.isEmpty) {
      this.stage.absorb(this.partial);
      this.partial = this.makeTable();
    }
    if (this.lateOutput) for (const wv of this.lateElements) this.lateOutput.receive(wv);
    this.late = 0;
    this.lateElements = [];
  }
  abort(): void {
    this.partial.clear();
    this.late = 0;
    this.lateElements = [];
  }
}

/** Reshuffle: re-bundles whatever arrived since the last step; holds nothing across steps. */
export class BufferStage implements Stage {
  readonly isSource = false;
  readonly idle = false;
  readonly reads: readonly string[];
  buffer: WindowedValue<unknown>[] = [];
  private inputWatermark: Instant = -Infinity;

  constructor(
    readonly label: string,
    input: string,
    readonly entryPc: string | undefined,
    readonly entry: Receiver,
  ) {
    this.reads = [input];
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    if (this.buffer.length === 0) return false;
    const elements = this.buffer;
    this.buffer = [];
    await ctx.emit(elements);
    return true;
  }

  outputWatermark(inputWatermark: Instant): Instant {
    return inputWatermark;
  }

  nextWakeup(): Instant {
    return Infinity;
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && this.buffer.length === 0;
  }
}

/**
 * The main input of a ParDo with side inputs. An element waits (is pushed back, and holds
 * the watermark) until every side input is ready for its window (PushedBackElements).
 */
export class SideInputStage implements Stage {
  readonly isSource = false;
  readonly idle = false;
  readonly reads: readonly string[];
  readonly entryPc = undefined;
  /** Elements arrived since the last step, one window each. */
  buffer: WindowedValue<unknown>[] = [];
  private readonly waiting: PushedBackElements;
  private inputWatermark: Instant = -Infinity;
  private output: Instant = -Infinity;

  constructor(
    readonly label: string,
    input: string,
    readonly entry: DoFnOperation,
    views: readonly PCollectionView<unknown>[],
    store: SideInputStore,
    sideWatermark: (pc: string) => Instant,
  ) {
    this.reads = [input];
    this.waiting = new PushedBackElements(views, store, sideWatermark);
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    if (this.buffer.length > 0) {
      this.waiting.add(this.buffer);
      this.buffer = [];
    }
    const ready = this.waiting.takeReady();
    if (ready === undefined) return false;
    await ctx.emit(ready);
    return true;
  }

  outputWatermark(inputWatermark: Instant): Instant {
    let wm = Math.min(inputWatermark, this.waiting.minTimestamp);
    for (const wv of this.buffer) if (wv.timestamp < wm) wm = wv.timestamp;
    this.output = Math.max(this.output, wm);
    return this.output;
  }

  nextWakeup(): Instant {
    return Infinity;
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && this.buffer.length === 0 && this.waiting.size === 0;
  }
}
