import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, NO_FIRING, formatInstant } from "../../model/index.js";
import {
  MinHeap,
  StateTable,
  beginStateSnapshot,
  TimerTable,
  checkedTimerOutput,
  corruptSnapshot,
  garbageCollectionTime,
  migratingCellCodec,
  migrationFor,
  onTimerContext,
  readStateSnapshot,
  requireKeyed,
  stateAccessors,
  windowExpiryContext,
  writeStateSnapshot,
  type DoFnOperation,
  type Operation,
  type StateEntry,
  type TimerEntry,
  type TimerSnapshotCoders,
  stateColdTier,
} from "../../runtime/index.js";
import { BufferWriter } from "../../coders/index.js";
import type { StateMigration } from "../../pipeline/index.js";
import type { KeyIdentifier, StateSpecMap, Timer, TimerFamily, TimerSpecMap } from "../../transforms/index.js";
import type { StateCellCodec } from "../../runtime/index.js";
import type { LateDataReporter } from "./materialized-stages.js";
import type { PushedBackElements } from "./pushed-back-elements.js";
import type { Stage, StepContext } from "./stage.js";
import { deferredBetween, type DeferredSection } from "./checkpoint/deferred-section.js";
import { mergedWatermark, type RestoreShare } from "./checkpoint/rescale.js";
import type { SnapshotCoders } from "./checkpoint/snapshot-coders.js";

/** The coders a stateful stage's snapshot writes keys and windows with: the step's own. */
export interface StatefulStageCoders {
  /** The step's deterministic key coder (PlanStep.statefulKeyCoder). */
  readonly key: Coder<unknown>;
  /** The step's window coder (windowCoderOf(step.windowing)). */
  readonly window: Coder<BoundedWindow>;
  /** State coder changes declared with Pipeline.migrateState, used when a restore says the checkpoint has the old coder. */
  readonly migrations?: readonly StateMigration[];
}

/**
 * A stateful stage's share of --memoryBudget for its state table: past it, the least
 * recently used entries' cells go to a file under `dir` (runtime/state/state-cold-tier.ts).
 */
export interface ColdStateSettings {
  readonly share: number;
  readonly dir: string;
  readonly spilled: (bytes: number) => void;
}

/**
 * The first byte of a stateful stage's snapshot: the layout below. Layout 2 writes each
 * state cell's byte length (so a restore can drop a cell the DoFn no longer declares);
 * layout 1 checkpoints are still read.
 */
const STATEFUL_SNAPSHOT_VERSION = 2;

/** A window expiry, carried through a bundle like an element. */
class ExpiryWork {
  constructor(readonly entry: StateEntry) {}
}
/** Fires the due timers, one at a time, inside the bundle. */
const FIRE_DUE_TIMERS = Symbol("fire due timers");

/** How many rounds of timers may fire in one step before a timer loop is reported. */
const MAX_TIMER_ROUNDS = 100_000;
/**
 * How many windows one round expires: the rest follow in later rounds. At the end of a job
 * every window of every key expires at once; in rounds, the work items stay few and each
 * round's state is dropped (or, with cold entries, evicted again) before the next.
 */
const MAX_EXPIRIES_PER_ROUND = 10_000;
/** How many timers may fire in one bundle before a timer loop is reported. */
const MAX_TIMER_FIRINGS = 1_000_000;

/** The accessors of an entry restored from a checkpoint and not used since: built on first use. */
const RESTORED: Record<string, unknown> = Object.freeze({});

/** Per key and window: the state accessors and timers a stateful DoFn sees. */
interface Bound {
  readonly state: Record<string, unknown>;
  readonly timers: Record<string, unknown>;
}

/**
 * Runs a stateful ParDo (state and timers, Beam's StatefulDoFnRunner): its keyed input
 * is buffered and processed in arrival order; event-time timers fire when the input
 * watermark passes them, processing-time timers when the clock reaches them (and all of
 * them once the input is complete, as in batch); a window's state is garbage-collected,
 * after `onWindowExpiration`, when the watermark passes its end plus the allowed lateness.
 * Pending timers hold the output watermark at their output timestamps. State and timer
 * changes are journaled and undone when a bundle fails.
 *
 * With side inputs, an element waits (is pushed back) until they are ready for its window,
 * as in a ParDo. Waiting elements also hold the watermark that fires event-time timers and
 * expires windows, as Flink's DoFnOperator holds its timer watermark back by its
 * pushed-back elements: a window never expires, nor a timer fires, ahead of elements of
 * its time that have not been processed. So a timer's (and an expiring window's) side
 * inputs are always ready: its window's elements were processed first.
 */
export class StatefulStage implements Stage {
  readonly isSource = false;
  readonly idle = false;
  readonly reads: readonly string[];
  readonly entryPc = undefined;
  readonly entry: StatefulEntry;
  /** Elements waiting, one window each, in arrival order. */
  buffer: WindowedValue<unknown>[] = [];
  private readonly state: StateTable;
  private readonly timers = new TimerTable();
  private readonly expiries = new MinHeap<StateEntry>();
  /** The watermark timers and expiries follow: the input's, held back by pushed-back elements. */
  private inputWatermark: Instant = -Infinity;
  private output: Instant = -Infinity;
  private now: Instant = 0;
  /** The timestamp timers set now default to (element or firing timer), and skew checks use. */
  private currentTimestamp: Instant = 0;

  constructor(
    readonly label: string,
    input: string,
    op: DoFnOperation,
    private readonly doFn: { readonly state?: StateSpecMap; readonly timers?: TimerSpecMap },
    private readonly keys: KeyIdentifier,
    private readonly windowing: WindowingStrategy,
    private readonly reporter: LateDataReporter,
    /** Elements waiting for their side inputs; undefined without side inputs. */
    private readonly pushedBack: PushedBackElements | undefined,
    private readonly coders: StatefulStageCoders,
    coldState?: ColdStateSettings,
  ) {
    this.reads = [input];
    this.state = new StateTable(keys.outputKey);
    if (coldState !== undefined) {
      this.state.keepColdEntries(
        stateColdTier({
          ...coldState,
          specs: doFn.state ?? {},
          timers: Object.keys(doFn.timers ?? {}).length,
          // Its accessors and timers' closures are built again when it is next used.
          evicted: (e) => {
            if (e.accessors !== undefined) e.accessors = RESTORED;
          },
        }),
      );
    }
    this.entry = new StatefulEntry(label, op, this);
  }

  /** Removes the state table's cold file, if it has one. */
  async close(): Promise<void> {
    this.state.close();
  }

  async step(ctx: StepContext): Promise<boolean> {
    let did = false;
    if (this.buffer.length > 0) {
      // Lateness is judged against the watermark the elements arrived under: the one of
      // the previous step, as upstream commits its elements before its new watermark.
      const arrival = this.inputWatermark;
      const elements = this.buffer;
      this.buffer = [];
      let late = 0;
      const onTime = elements.filter((wv) => {
        const expired = this.gcTime(wv.windows[0]!) < arrival;
        if (expired) late++;
        return !expired;
      });
      if (late > 0) this.reporter.droppedDueToLateness(this.label, late);
      this.now = ctx.now;
      if (this.pushedBack !== undefined) this.pushedBack.add(onTime);
      else if (onTime.length > 0) await ctx.emit(onTime);
      did = true;
    }
    const ready = this.pushedBack?.takeReady();
    if (ready !== undefined) {
      this.now = ctx.now;
      await ctx.emit(ready);
      did = true;
    }
    // Monotonic: an element that waits may be behind the watermark already reached (but
    // not late: its window has not expired, and the held watermark stays below its end).
    this.inputWatermark = Math.max(this.inputWatermark, Math.min(ctx.inputWatermark, this.pushedBack?.minTimestamp ?? Infinity));
    this.now = ctx.now;
    for (let round = 0; ; round++) {
      const work = this.dueWork();
      if (work.length === 0) break;
      if (round >= MAX_TIMER_ROUNDS) {
        throw new Error(
          `${this.label}: timers kept firing and re-arming ${MAX_TIMER_ROUNDS} times without time moving; ` +
            `a timer that sets itself for a time already due never lets the step finish.`,
        );
      }
      await ctx.emit(work);
      did = true;
    }
    return did;
  }

  /**
   * The work of a timer round: one marker that fires due timers one at a time (so a timer
   * set by a callback for an earlier time fires before later ones), or, when no timer is
   * due, the windows to expire.
   */
  private dueWork(): WindowedValue<unknown>[] {
    const next = this.peekDue();
    if (next !== undefined) return [this.workItem(FIRE_DUE_TIMERS, next.outputTimestamp, next.window)];
    const work: WindowedValue<unknown>[] = [];
    while (work.length < MAX_EXPIRIES_PER_ROUND && this.expiries.size > 0 && this.expiries.peekKey() < this.inputWatermark) {
      const e = this.expiries.pop()!;
      // A copy queued for an entry that a failed bundle created (and its abort dropped): the
      // retry made the window's live entry, with its own expiry.
      if (!this.state.holds(e)) continue;
      work.push(this.workItem(new ExpiryWork(e), e.window.maxTimestamp(), e.window));
    }
    return work;
  }

  /** Whether a timer is due, without taking it. */
  private peekDue(): TimerEntry | undefined {
    const t = this.popDue();
    if (t !== undefined) this.timers.abort();
    return t;
  }

  /** @internal takes the earliest due timer: event time first, then processing time. */
  popDue(): TimerEntry | undefined {
    const wm = this.inputWatermark;
    const inputDone = wm >= MAX_TIMESTAMP;
    return (
      this.timers.popDue("EVENT_TIME", (ts) => ts < wm) ??
      this.timers.popDue("PROCESSING_TIME", (ts) => inputDone || ts <= this.now)
    );
  }

  private workItem(value: unknown, timestamp: Instant, window: BoundedWindow): WindowedValue<unknown> {
    return { value, timestamp, windows: [window], pane: NO_FIRING };
  }

  outputWatermark(inputWatermark: Instant): Instant {
    let wm = Math.min(inputWatermark, this.timers.minHold(), this.pushedBack?.minTimestamp ?? Infinity);
    for (const wv of this.buffer) if (wv.timestamp < wm) wm = wv.timestamp;
    this.output = Math.max(this.output, wm);
    return this.output;
  }

  nextWakeup(): Instant {
    return this.timers.nextProcessingTime();
  }

  get done(): boolean {
    return (
      this.inputWatermark >= MAX_TIMESTAMP &&
      this.buffer.length === 0 &&
      (this.pushedBack?.size ?? 0) === 0 &&
      this.timers.size === 0 &&
      this.expiries.size === 0
    );
  }

  /**
   * @internal For sort-based batch execution: whether every side input is complete, so no
   * element will wait (the sorted groups then run on their own time lines).
   */
  get sideInputsComplete(): boolean {
    return this.pushedBack?.sideInputsComplete ?? true;
  }

  private gcTime(window: BoundedWindow): Instant {
    return garbageCollectionTime(window, this.windowing.allowedLateness, GLOBAL_WINDOW_MAX_TIMESTAMP);
  }

  /**
   * @internal For sort-based batch execution (SpillingStatefulStage): the next groups start
   * their own time line, before any element. Every earlier group's timers have fired and
   * its windows have expired.
   */
  restartTime(): void {
    if (this.buffer.length > 0 || (this.pushedBack?.size ?? 0) > 0 || this.timers.size > 0 || this.expiries.size > 0) {
      throw new Error(`${this.label}: internal error: restarting the time line with work pending.`);
    }
    this.inputWatermark = -Infinity;
  }

  /**
   * Writes the stage for a checkpoint (between passes: no bundle open). Layout, version 2:
   *
   *   byte   version                  2 (1: the same without state cell lengths)
   *   double inputWatermark, output, now, currentTimestamp
   *   varint n, n × buffered element  coders.windowedValue(reads[0]), nested
   *   byte   side inputs              0 none | 1, then PushedBackElements.snapshot
   *   state and window expiries       runtime/state/state-snapshot.ts
   *   timers                          TimerTable.snapshot (runtime/state/timer-table.ts)
   */
  snapshot(out: ByteWriter, coders: SnapshotCoders): void {
    this.snapshotHead(out, coders);
    writeStateSnapshot(out, this.state, this.expiries, { specs: this.doFn.state ?? {}, coders: this.timerCoders() });
    this.timers.snapshot(out, this.timerCoders());
  }

  /**
   * `snapshot`'s bytes as of now, with the state cells (the part that grows with the keys)
   * written afterwards in slices (PendingStateSnapshot): the executor stops only to list the
   * entries and to write the rest of the stage (buffered elements, expiries, timers).
   */
  snapshotLater(coders: SnapshotCoders): DeferredSection {
    const head = new BufferWriter();
    this.snapshotHead(head, coders);
    const state = beginStateSnapshot(this.state, this.expiries, { specs: this.doFn.state ?? {}, coders: this.timerCoders() });
    const tail = new BufferWriter();
    this.timers.snapshot(tail, this.timerCoders());
    return deferredBetween(head.finish(), state, tail.finish());
  }

  private snapshotHead(out: ByteWriter, coders: SnapshotCoders): void {
    const elements = coders.windowedValue(this.reads[0]!);
    out.writeByte(STATEFUL_SNAPSHOT_VERSION);
    for (const t of [this.inputWatermark, this.output, this.now, this.currentTimestamp]) out.writeDoubleBE(t);
    out.writeVarInt(this.buffer.length);
    for (const wv of this.buffer) elements.encode(wv, out, true);
    out.writeByte(this.pushedBack === undefined ? 0 : 1);
    this.pushedBack?.snapshot(out, elements);
  }

  /**
   * Reads what `snapshot` wrote into this freshly built stage. State cells the DoFn declares
   * and the checkpoint lacks start empty (their defaults); `drop` names the cells
   * (`state:<name>`) and timer families (`timer:<name>`) the checkpoint holds and the DoFn
   * no longer declares, whose values and set timers are dropped (--allowDroppingState).
   */
  restore(input: ByteReader, coders: SnapshotCoders, migrate: readonly string[] = [], drop: readonly string[] = [], share?: RestoreShare): void {
    try {
      const specs = this.doFn.state ?? {};
      const readWith = new Map<string, StateCellCodec>();
      for (const slot of migrate) {
        const name = slot.slice("state:".length);
        const spec = specs[name];
        if (!slot.startsWith("state:") || spec === undefined) throw corruptSnapshot(`the restore migrates ${slot}, which is not a state cell of the step`);
        readWith.set(name, migratingCellCodec(this.label, name, spec, migrationFor(this.label, this.coders.migrations, slot)));
      }
      const droppedCells = new Set<string>();
      const droppedTimers = new Set<string>();
      for (const slot of drop) {
        if (slot.startsWith("state:") && specs[slot.slice(6)] === undefined) droppedCells.add(slot.slice(6));
        else if (slot.startsWith("timer:") && this.doFn.timers?.[slot.slice(6)] === undefined) droppedTimers.add(slot.slice(6));
        else throw corruptSnapshot(`the restore drops ${slot}, which the step still declares`);
      }
      const elements = coders.windowedValue(this.reads[0]!);
      const version = input.readByte();
      if (version !== STATEFUL_SNAPSHOT_VERSION && version !== 1) throw corruptSnapshot(`layout version ${version} is not 1 or ${STATEFUL_SNAPSHOT_VERSION}`);
      if ((share === undefined || share.first) && (this.buffer.length > 0 || this.timers.size > 0 || this.expiries.size > 0)) throw corruptSnapshot("restored into a stage that has run");
      // With `share` (another --parallelism): one old part merged, keeping the keys this
      // executor owns now; its buffered and pushed-back inputs are KVs of the same keys.
      const keep = share === undefined ? undefined : (key: unknown) => share.ownsKey(this.coders.key, key);
      const keepElement = keep === undefined ? undefined : (wv: WindowedValue<unknown>) => keep((wv.value as KV<unknown, unknown>).key);
      this.inputWatermark = mergedWatermark(share, this.inputWatermark, input.readDoubleBE());
      this.output = mergedWatermark(share, this.output, input.readDoubleBE());
      const now = input.readDoubleBE();
      this.now = share === undefined || share.first ? now : Math.max(this.now, now);
      this.currentTimestamp = mergedWatermark(share, this.currentTimestamp, input.readDoubleBE());
      const n = input.readVarInt();
      if (n > input.remaining) throw corruptSnapshot(`${n} buffered elements in ${input.remaining} byte(s)`);
      for (let i = 0; i < n; i++) {
        const wv = elements.decode(input, true);
        if (keepElement === undefined || keepElement(wv)) this.buffer.push(wv);
      }
      const hasSideInputs = input.readByte();
      if (hasSideInputs !== (this.pushedBack === undefined ? 0 : 1)) {
        throw corruptSnapshot(`the side-input marker is ${hasSideInputs}, where this step ${this.pushedBack === undefined ? "has no" : "has"} side inputs`);
      }
      this.pushedBack?.restore(input, elements, keepElement);
      // Accessors are built when a restored entry is first used (a million keys restore in a
      // fraction of the time); its expiry is already in the restored heap.
      const stateContext = { specs, coders: this.timerCoders(), readWith, lengthPrefixedCells: version >= 2, drop: droppedCells, ...(keep !== undefined ? { keep } : {}) };
      readStateSnapshot(input, this.state, this.expiries, stateContext, (e) => (e.accessors = RESTORED));
      this.timers.restore(input, this.timerCoders(), droppedTimers, keep);
      if (input.remaining > 0) throw corruptSnapshot(`${input.remaining} byte(s) follow the end of the snapshot`);
    } catch (err) {
      if (err instanceof Error) err.message = `Restoring stateful step "${this.label}": ${err.message}`;
      throw err;
    }
  }

  private timerCoders(): TimerSnapshotCoders {
    return { key: this.coders.key, window: this.coders.window, keyId: this.keys.id };
  }

  // --- Called by StatefulEntry inside a bundle. ---

  /** @internal */
  begin(): void {
    this.state.begin();
    this.timers.begin();
  }
  /** @internal */
  commit(): void {
    this.state.commit();
    this.timers.commit();
  }
  /** @internal */
  abort(): void {
    this.state.abort();
    this.timers.abort();
  }

  /** @internal the state and timers of (key, window), for an element. */
  bind(key: unknown, window: BoundedWindow, timestamp: Instant): Bound {
    this.currentTimestamp = timestamp;
    const e = this.state.entry(key, this.keys.id(key), window);
    return this.bound(e);
  }

  private bound(e: StateEntry): Bound {
    this.state.use(e);
    if (e.accessors === undefined) {
      this.attach(e);
      this.expiries.push(this.gcTime(e.window), e);
    } else if (e.accessors === RESTORED) this.attach(e);
    return e.accessors as unknown as Bound;
  }

  /** Gives an entry the state accessors and timers its DoFn sees. */
  private attach(e: StateEntry): void {
    e.accessors = { state: stateAccessors(this.doFn.state ?? {}, this.state, e), timers: this.timerAccessors(e) };
  }

  /** @internal the context of an onTimer call (the timer was removed before). */
  timerContext(t: TimerEntry, op: DoFnOperation): object {
    this.currentTimestamp = t.outputTimestamp;
    const b = this.bound(this.state.entry(t.key, t.keyId, t.window));
    const timer = { key: t.key, window: t.window, fireTimestamp: t.fireTimestamp, outputTimestamp: t.outputTimestamp, domain: t.domain, timerId: t.tag };
    return onTimerContext(timer, b, op);
  }

  /** @internal the context of onWindowExpiration. */
  expiryContext(e: StateEntry, op: DoFnOperation): object {
    return windowExpiryContext(e, this.bound(e).state, op);
  }

  /** @internal drops a window's state and timers after its expiry. */
  expire(e: StateEntry): void {
    this.timers.clearWindow(e.keyId, e.window);
    this.state.clearWindow(e);
    e.accessors = undefined;
  }

  private timerAccessors(e: StateEntry): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(this.doFn.timers ?? {})) {
      if (spec.kind === "timer") out[name] = this.timer(e, name, name, spec.domain);
      else {
        const family: TimerFamily = { get: (tag: string) => this.timer(e, name, tag, spec.domain) };
        out[name] = family;
      }
    }
    return out;
  }

  private timer(e: StateEntry, name: string, tag: string, domain: "EVENT_TIME" | "PROCESSING_TIME"): Timer {
    const set = (fireTimestamp: Instant, outputTimestamp: Instant | undefined) => {
      const window = e.window;
      const expiry = this.gcTime(window);
      const out = checkedTimerOutput({ tag, domain, window, expiry, fireTimestamp, outputTimestamp, current: this.currentTimestamp });
      this.timers.set({ key: e.key, keyId: e.keyId, window, name, tag, domain, fireTimestamp, outputTimestamp: out });
    };
    return {
      set: (timestamp, options) => set(timestamp, options?.outputTimestamp),
      setRelative: (delay, options) => {
        if (domain !== "PROCESSING_TIME") {
          throw new Error(`timer "${tag}" is an event-time timer; setRelative is for processing-time timers. Use set(timestamp).`);
        }
        set(this.now + delay, options?.outputTimestamp);
      },
      clear: () => this.timers.clear(e.keyId, e.window, name, tag),
    };
  }
}

/**
 * The entry of a stateful stage's bundles: elements go to the DoFn with their key's state
 * and timers; timer and expiry work items call onTimer / onWindowExpiration. It brackets
 * the bundle with the state journal (commit and abort like a sink).
 */
export class StatefulEntry implements Operation {
  constructor(
    readonly label: string,
    readonly op: DoFnOperation,
    private readonly stage: StatefulStage,
  ) {}

  async startBundle(): Promise<void> {
    this.stage.begin();
    await this.op.startBundle();
  }

  async finishBundle(): Promise<void> {
    await this.op.finishBundle();
  }

  receive(wv: WindowedValue<unknown>): void {
    const v = wv.value;
    const window = wv.windows[0]!;
    if (v === FIRE_DUE_TIMERS) {
      let fired = 0;
      for (let t = this.stage.popDue(); t !== undefined; t = this.stage.popDue()) {
        if (++fired > MAX_TIMER_FIRINGS) {
          throw new Error(
            `timers fired ${MAX_TIMER_FIRINGS} times without time moving: a timer that sets itself ` +
              `for a time already due never lets the step finish (last: "${t.tag}" at ${formatInstant(t.fireTimestamp)}).`,
          );
        }
        this.op.callStatefulCallback(t.name, this.stage.timerContext(t, this.op), t.window);
      }
      return;
    }
    if (v instanceof ExpiryWork) {
      this.op.callStatefulCallback(undefined, this.stage.expiryContext(v.entry, this.op), window);
      this.stage.expire(v.entry);
      return;
    }
    const kv = requireKeyed(this.label, v, window);
    this.op.processStateful(kv, wv.timestamp, window, { key: kv.key, ...this.stage.bind(kv.key, window, wv.timestamp) });
  }

  commit(): void {
    this.stage.commit();
  }

  abort(): void {
    this.stage.abort();
  }

  teardown(): Promise<void> {
    return this.op.teardown();
  }
}
