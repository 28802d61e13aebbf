import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { BufferWriter, iterableCoder, windowCoderOf } from "../../coders/index.js";
import { BeamError, CoderError, MAX_TIMESTAMP, messageOf } from "../../model/index.js";
import { BundleTable, DoFnOperation, ReduceRunner, type Receiver, type ReduceEnv, type ReduceStateCoders } from "../../runtime/index.js";
import { mergedWatermark, type RestoreShare } from "./checkpoint/rescale.js";
import type { SnapshotCoders } from "./checkpoint/snapshot-coders.js";
import { migrationSlot, type StateMigration } from "../../pipeline/index.js";
import type { PCollectionView } from "../../transforms/index.js";
import type { SideInputStore } from "../../runtime/index.js";
import { PushedBackElements } from "./pushed-back-elements.js";
import { corruptSnapshot, migratingCoder } from "../../runtime/index.js";
import type { Sink } from "./sinks.js";
import type { Stage, StepContext } from "./stage.js";
import { deferredBetween, type DeferredSection } from "./checkpoint/deferred-section.js";

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
    /** The step's key, window and state coders, for checkpoints; absent, the stage cannot snapshot. */
    private readonly stateCoders?: ReduceStateCoders<S>,
    /**
     * What a restore reads the per-window data with when the checkpoint wrote it with the old
     * coder of the step's declared migration (Pipeline.migrateState): groupingMigrationCoder,
     * combiningMigrationCoder.
     */
    private readonly migratedData?: Coder<S>,
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

  /** Removes the runner's cold file, if it keeps one. */
  async close(): Promise<void> {
    this.runner.close();
  }

  nextWakeup(): Instant {
    return this.runner.nextProcessingWakeup();
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && this.runner.size === 0 && this.pending.length === 0;
  }

  /**
   * Layout (version 1): varint 1; double inputWatermark; double output; the runner's state
   * (src/runtime/reduce/reduce-snapshot.ts); varint n, n panes not yet emitted (the windowed
   * value coder of the output PCollection); int32 end marker.
   */
  snapshot(out: ByteWriter, coders: SnapshotCoders): void {
    const state = this.requireStateCoders();
    out.writeVarInt(REDUCE_STAGE_LAYOUT);
    out.writeDoubleBE(this.inputWatermark);
    out.writeDoubleBE(this.output);
    this.runner.snapshot(out, state);
    writeElements(out, coders.windowedValue(this.entryPc), this.pending);
    out.writeInt32BE(END_MARKER);
  }

  /**
   * `snapshot`'s bytes as of now, with the keys' windows (the part that grows with the keys)
   * written afterwards in slices, copy on write (ReduceRunner.beginSnapshot).
   */
  snapshotLater(coders: SnapshotCoders): DeferredSection {
    const state = this.requireStateCoders();
    const head = new BufferWriter();
    head.writeVarInt(REDUCE_STAGE_LAYOUT);
    head.writeDoubleBE(this.inputWatermark);
    head.writeDoubleBE(this.output);
    const runner = this.runner.beginSnapshot(state);
    const tail = new BufferWriter();
    writeElements(tail, coders.windowedValue(this.entryPc), this.pending);
    tail.writeInt32BE(END_MARKER);
    return deferredBetween(head.finish(), runner, tail.finish());
  }

  /**
   * With `share` (a restore at another --parallelism), merges one old part: the keys this
   * executor owns now, the part's panes not yet emitted when it takes the part's unkeyed
   * contents (they are past the grouping, so any executor may emit them), and the minimum
   * of the watermarks.
   */
  restore(input: ByteReader, coders: SnapshotCoders, migrate: readonly string[] = [], _drop: readonly string[] = [], share?: RestoreShare): void {
    const state = this.restoreCoders(migrate);
    if ((share === undefined || share.first) && (this.pending.length > 0 || this.runner.size > 0)) {
      throw new BeamError("CHECKPOINT_RESTORE", `Cannot restore stage "${this.label}": it already holds state; restore into a freshly built stage.`);
    }
    restoring(this.label, () => {
      readLayout(input, REDUCE_STAGE_LAYOUT);
      this.inputWatermark = mergedWatermark(share, this.inputWatermark, input.readDoubleBE());
      this.output = mergedWatermark(share, this.output, input.readDoubleBE());
      this.runner.restore(input, state, share === undefined ? undefined : (key) => share.ownsKey(state.key, key));
      const pending = readElements(input, coders.windowedValue(this.entryPc));
      if (share === undefined || share.takesUnkeyed) this.pending.push(...pending);
      readEndMarker(input);
    });
  }

  /**
   * The coders to restore with: with the `data` slot migrated, the checkpoint's buffered
   * values (GroupByKey) or accumulators (Combine) are read with the declared old coder.
   */
  private restoreCoders(migrate: readonly string[]): ReduceStateCoders<S> {
    const state = this.requireStateCoders();
    if (migrate.length === 0) return state;
    if (migrate.some((slot) => slot !== "data") || this.migratedData === undefined) {
      throw new BeamError("CHECKPOINT_RESTORE", `internal error: the restore of step "${this.label}" migrates ${migrate.join(", ")}, for which it declares no migration.`);
    }
    return { ...state, data: this.migratedData };
  }

  private requireStateCoders(): ReduceStateCoders<S> {
    if (this.stateCoders === undefined) {
      throw new BeamError("CHECKPOINT_UNSUPPORTED", `Stage "${this.label}" was built without its key, window and state coders, so it cannot be checkpointed.`);
    }
    return this.stateCoders;
  }
}

/** A GroupByKey's checkpoint coders: its buffered values are an iterable of the KV input's value coder. */
export function groupingStateCoders(keyCoder: Coder<unknown>, valueCoder: Coder<unknown>, windowing: WindowingStrategy): ReduceStateCoders<unknown[]> {
  return { key: keyCoder, window: windowCoderOf(windowing), data: iterableCoder(valueCoder) as Coder<unknown[]> };
}

/** Reads a GroupByKey's buffered values written with a declared migration's old value coder, migrating each. */
export function groupingMigrationCoder(label: string, migrations: readonly StateMigration[] | undefined): Coder<unknown[]> | undefined {
  const m = migrations?.find((x) => migrationSlot(x) === "data");
  return m === undefined ? undefined : (iterableCoder(migratingCoder(label, "grouped values", m)) as Coder<unknown[]>);
}

/** Reads a Combine's accumulators written with a declared migration's old accumulator coder, migrating each. */
export function combiningMigrationCoder(label: string, migrations: readonly StateMigration[] | undefined): Coder<unknown> | undefined {
  const m = migrations?.find((x) => migrationSlot(x) === "data");
  return m === undefined ? undefined : migratingCoder(label, "accumulator", m);
}

/** A lifted Combine.perKey's checkpoint coders: its state is the CombineFn's accumulator. */
export function combiningStateCoders(keyCoder: Coder<unknown>, accumulatorCoder: Coder<unknown>, windowing: WindowingStrategy): ReduceStateCoders<unknown> {
  return { key: keyCoder, window: windowCoderOf(windowing), data: accumulatorCoder };
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

  /**
   * Layout (version 1): varint 1; double inputWatermark; varint n, n buffered elements (the
   * windowed value coder of the input PCollection); int32 end marker.
   */
  snapshot(out: ByteWriter, coders: SnapshotCoders): void {
    out.writeVarInt(BUFFER_STAGE_LAYOUT);
    out.writeDoubleBE(this.inputWatermark);
    writeElements(out, coders.windowedValue(this.reads[0]!), this.buffer);
    out.writeInt32BE(END_MARKER);
  }

  /** With `share` (another --parallelism), merges one old part: its elements go whole to one executor (any may emit them). */
  restore(input: ByteReader, coders: SnapshotCoders, _migrate: readonly string[] = [], _drop: readonly string[] = [], share?: RestoreShare): void {
    if ((share === undefined || share.first) && this.buffer.length > 0) {
      throw new BeamError("CHECKPOINT_RESTORE", `Cannot restore stage "${this.label}": it already holds elements; restore into a freshly built stage.`);
    }
    restoring(this.label, () => {
      readLayout(input, BUFFER_STAGE_LAYOUT);
      this.inputWatermark = mergedWatermark(share, this.inputWatermark, input.readDoubleBE());
      const elements = readElements(input, coders.windowedValue(this.reads[0]!));
      if (share === undefined || share.takesUnkeyed) this.buffer.push(...elements);
      readEndMarker(input);
    });
  }
}

const REDUCE_STAGE_LAYOUT = 1;
const BUFFER_STAGE_LAYOUT = 1;
/** Closes a stage's snapshot: a reader that ends anywhere else read a damaged or misframed one. */
const END_MARKER = 0x45_4e_44_21; // "END!"

function writeElements(out: ByteWriter, coder: Coder<WindowedValue<unknown>>, elements: readonly WindowedValue<unknown>[]): void {
  out.writeVarInt(elements.length);
  for (const wv of elements) coder.encode(wv, out, true);
}

function readElements(input: ByteReader, coder: Coder<WindowedValue<unknown>>): WindowedValue<unknown>[] {
  const n = input.readVarInt();
  // Every element takes at least a byte (its timestamp alone takes eight).
  if (n > input.remaining) throw new CoderError(`${n} elements announced but only ${input.remaining} byte(s) remain`);
  const elements: WindowedValue<unknown>[] = [];
  for (let i = 0; i < n; i++) elements.push(coder.decode(input, true));
  return elements;
}

function readLayout(input: ByteReader, expected: number): void {
  const version = input.readVarInt();
  if (version !== expected) throw new CoderError(`layout version ${version}, this runner reads version ${expected}`);
}

function readEndMarker(input: ByteReader): void {
  const marker = input.readInt32BE();
  if (marker !== END_MARKER) throw new CoderError(`no end marker where the snapshot should end (read 0x${(marker >>> 0).toString(16)})`);
}

/** Runs a restore; any failure names the stage and says the snapshot cannot be used. */
function restoring(label: string, read: () => void): void {
  try {
    read();
  } catch (err) {
    throw new CoderError(`Cannot restore stage "${label}" from its checkpoint: ${messageOf(err)}`, { cause: err });
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

  /**
   * Writes the stage for a checkpoint. Layout, version 1: byte version; double
   * inputWatermark, output; varint n, n × buffered element (coders.windowedValue(reads[0]),
   * nested); the pushed-back elements (PushedBackElements.snapshot, same coder). The side
   * inputs' contents are the SideInputStore's, written once for the job.
   */
  snapshot(out: ByteWriter, coders: SnapshotCoders): void {
    const elements = coders.windowedValue(this.reads[0]!);
    out.writeByte(SIDE_INPUT_STAGE_SNAPSHOT_VERSION);
    out.writeDoubleBE(this.inputWatermark);
    out.writeDoubleBE(this.output);
    out.writeVarInt(this.buffer.length);
    for (const wv of this.buffer) elements.encode(wv, out, true);
    this.waiting.snapshot(out, elements);
  }

  /**
   * Reads what `snapshot` wrote into this freshly built stage. With `share` (another
   * --parallelism), merges one old part: its main input is not keyed (the edge is not
   * exchanged), so its buffered and pushed-back elements go whole to one executor.
   */
  restore(input: ByteReader, coders: SnapshotCoders, _migrate: readonly string[] = [], _drop: readonly string[] = [], share?: RestoreShare): void {
    try {
      const elements = coders.windowedValue(this.reads[0]!);
      const version = input.readByte();
      if (version !== SIDE_INPUT_STAGE_SNAPSHOT_VERSION) throw corruptSnapshot(`layout version ${version} is not ${SIDE_INPUT_STAGE_SNAPSHOT_VERSION}`);
      if ((share === undefined || share.first) && this.buffer.length > 0) throw corruptSnapshot("restored into a stage that has run");
      this.inputWatermark = mergedWatermark(share, this.inputWatermark, input.readDoubleBE());
      this.output = mergedWatermark(share, this.output, input.readDoubleBE());
      const n = input.readVarInt();
      if (n > input.remaining) throw corruptSnapshot(`${n} buffered elements in ${input.remaining} byte(s)`);
      const takes = share === undefined || share.takesUnkeyed;
      for (let i = 0; i < n; i++) {
        const wv = elements.decode(input, true);
        if (takes) this.buffer.push(wv);
      }
      this.waiting.restore(input, elements, share === undefined ? undefined : () => takes);
      if (input.remaining > 0) throw corruptSnapshot(`${input.remaining} byte(s) follow the end of the snapshot`);
    } catch (err) {
      if (err instanceof Error) err.message = `Restoring the main input of "${this.label}": ${err.message}`;
      throw err;
    }
  }
}

/** The first byte of a SideInputStage's snapshot: the layout in SideInputStage.snapshot. */
const SIDE_INPUT_STAGE_SNAPSHOT_VERSION = 1;
