import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, PaneTiming, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { BeamError, GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, kv, paneInfo } from "../../model/index.js";
import { keyIdentifier, type KeyIdentifier, type KeyIdentity } from "../../transforms/index.js";
import { triggerStateMachine, type TriggerEnv, type TriggerState, type TriggerStateMachine } from "../triggers/index.js";
import { windowEntries, type WindowEntry } from "../keyed-window-table.js";
import { CopyOnWriteWriter } from "../copy-on-write-writer.js";
import { BufferReader } from "../../coders/index.js";
import { ColdTier, type ColdSlot } from "../cold-tier.js";
import { MinHeap } from "../min-heap.js";
import { BundleTable } from "./bundle-table.js";
import type { ReduceFn } from "./reduce-fn.js";
import { garbageCollectionTime, paneTiming } from "./pane-timing.js";
import { transformedOutputTime } from "./output-time.js";
import {
  corruptSnapshot,
  readCount,
  readOptionalInstant,
  readTiming,
  readTriggerState,
  writeOptionalInstant,
  writeTiming,
  writeTriggerState,
  type ReduceStateCoders,
} from "./reduce-snapshot.js";

/** The watermarks and clock a ReduceRunner acts on. */
export interface ReduceEnv {
  /** The grouping step's input watermark. */
  readonly inputWatermark: Instant;
  /** The step's output watermark before this action (decides LATE panes). */
  readonly outputWatermark: Instant;
  readonly processingTime: Instant;
}

/** State of one key and window. */
interface WindowState<S> extends ColdSlot {
  readonly key: unknown;
  readonly keyId: KeyIdentity;
  readonly window: BoundedWindow;
  readonly gcTime: Instant;
  data: S;
  /** Elements added since the last firing: a pane is empty when this is 0. */
  count: number;
  /** Elements whose trigger onElement is still due (merging runs first). */
  unseen: number;
  unseenTimestamp: Instant;
  trigger: TriggerState;
  /** The trigger finished: the window is closed and takes no more elements. */
  closed: boolean;
  /**
   * Made by the bundle being absorbed and not yet run through the trigger: Beam's NEW window
   * (MergingActiveWindowSet), which has no state to merge. Cleared by `check`.
   */
  fresh: boolean;
  panesEmitted: number;
  nonSpeculativeEmitted: number;
  lastTiming: PaneTiming | undefined;
  /** Watermark hold from the pending elements' timestamps (by the timestamp combiner). */
  elementHold: Instant | undefined;
  /** End-of-window or garbage-collection hold. */
  extraHold: Instant | undefined;
  /** Heap keys currently pushed; the heaps skip copies whose key no longer matches. */
  eventKey: Instant;
  procKey: Instant;
  holdKey: Instant;
  triggerWakeEvent: Instant;
  dead: boolean;
}

/** Counts of elements a ReduceRunner dropped. */
export interface DropCounters {
  droppedDueToClosedWindow(n: number): void;
}

/** A ReduceRunner's share of --memoryBudget: past it, the least recently used windows' data goes to disk. */
export interface ColdDataSettings<S> {
  readonly share: number;
  readonly dir: string;
  /** The step's checkpoint coder of the data (ReduceStateCoders.data): a record is what a snapshot writes. */
  readonly coder: Coder<S>;
  /** Names the step and the fix when the data cannot be encoded. */
  readonly cannotEncode: (err: unknown) => Error;
  readonly spilled?: (bytes: number) => void;
}

/**
 * What a warm window costs besides its data's bytes (the WindowState, trigger state, heap
 * slots, its key's map).
 */
const WINDOW_OVERHEAD = 600;

/**
 * One key's windows as `ReduceRunner.snapshot` writes them (reduce-snapshot.ts); a cold
 * window's data is its record, the same bytes (`cold`).
 */
function writeKeyWindows<S>(out: ByteWriter, windows: Map<string, WindowState<S>>, coders: ReduceStateCoders<S>, cold: ColdTier<WindowState<S>> | undefined): void {
  const first = windows.values().next().value as WindowState<S>;
  coders.key.encode(first.key, out, true);
  out.writeVarInt(windows.size);
  for (const ws of windows.values()) {
    coders.window.encode(ws.window, out, true);
    if (cold !== undefined && ws.cold >= 0) out.writeBytes(cold.record(ws));
    else coders.data.encode(ws.data, out, true);
    out.writeVarInt(ws.count);
    out.writeVarInt(ws.unseen);
    out.writeDoubleBE(ws.unseenTimestamp);
    writeTriggerState(out, ws.trigger);
    out.writeByte((ws.closed ? 1 : 0) | (ws.fresh ? 2 : 0));
    out.writeVarInt(ws.panesEmitted);
    out.writeVarInt(ws.nonSpeculativeEmitted);
    writeTiming(out, ws.lastTiming);
    writeOptionalInstant(out, ws.elementHold);
    writeOptionalInstant(out, ws.extraHold);
    out.writeDoubleBE(ws.eventKey);
    out.writeDoubleBE(ws.procKey);
    out.writeDoubleBE(ws.holdKey);
  }
}

/** A key's windows, marked by the last snapshot that listed them (beginSnapshot). */
type KeyWindows<S> = Map<string, WindowState<S>> & { snapshotMark?: number; snapshotSlot?: number };

/** A ReduceRunner snapshot being written (beginSnapshot); Stage's DeferredSection, structurally. */
export interface PendingReduceSnapshot {
  advance(deadline: number): boolean;
  finish(): Uint8Array;
}

/** Snapshots taken so far (in this thread): marks which snapshot listed a key. */
let reduceSnapshots = 0;

/**
 * Beam's ReduceFnRunner for one grouping step (GroupByKey or lifted Combine.perKey): keeps
 * per key and window the buffered data, trigger state, pane counters and watermark holds;
 * absorbs committed bundles, merges windows (sessions), asks the trigger when to fire, and
 * emits panes with PaneInfo and output timestamps. Late elements are filtered before they
 * reach it (see isLate), so everything here is within the allowed lateness.
 */
export class ReduceRunner<S> {
  private readonly keys = new Map<KeyIdentity, Map<string, WindowState<S>>>();
  /** Called before a key's windows change while a snapshot is written (beginSnapshot). */
  private touchHook: ((windows: KeyWindows<S>) => void) | undefined;
  private readonly identity: (key: unknown) => KeyIdentity;
  /** The key a pane carries: decoded from the key's encoding, as Beam's runners output it. */
  private readonly outputKey: KeyIdentifier["outputKey"];
  private readonly trigger: TriggerStateMachine;
  private readonly accumulating: boolean;
  private readonly eventHeap = new MinHeap<WindowState<S>>();
  private readonly procHeap = new MinHeap<WindowState<S>>();
  private readonly holdHeap = new MinHeap<WindowState<S>>();
  private readonly env: { window: BoundedWindow; watermark: Instant; processingTime: Instant; synchronizedProcessingTime: Instant };
  private windowCount = 0;
  /** Keeps the least recently used windows' data on disk (../cold-tier.ts); none by default. */
  private cold: ColdTier<WindowState<S>> | undefined;
  /** Windows given elements since the last `afterBundle` (the cold tier measures some). */
  private changed: WindowState<S>[] = [];
  /** Counts absorbs and advances: a window's `lastUsed`. */
  private uses = 0;

  constructor(
    keyCoder: Coder<unknown>,
    private readonly windowing: WindowingStrategy,
    private readonly reduceFn: ReduceFn<S>,
    private readonly drops: DropCounters,
  ) {
    const keys = keyIdentifier(keyCoder);
    this.identity = keys.id;
    this.outputKey = keys.outputKey;
    this.trigger = triggerStateMachine(windowing.trigger, { merging: windowing.windowFn.isMerging });
    this.accumulating = windowing.accumulationMode === "ACCUMULATING";
    this.env = { window: undefined as unknown as BoundedWindow, watermark: 0, processingTime: 0, synchronizedProcessingTime: 0 };
  }

  /**
   * A bundle's table for this runner. It keeps every element's time when the hold needs them
   * (EARLIEST and EARLIEST_TRANSFORMED) and, for EARLIEST_TRANSFORMED, records the WindowFn's
   * transformed output times instead of the timestamps: the holds and pane timestamps below
   * then treat it as EARLIEST over those times (Beam Python's
   * OutputAtEarliestTransformedInputTimestampImpl).
   */
  newBundleTable(keyCoder: Coder<unknown>): BundleTable<S> {
    const { timestampCombiner, windowFn } = this.windowing;
    const transformed = timestampCombiner === "EARLIEST_TRANSFORMED" && windowFn.getTransformedOutputTime !== undefined;
    return new BundleTable(
      keyCoder,
      this.reduceFn,
      timestampCombiner === "EARLIEST" || timestampCombiner === "EARLIEST_TRANSFORMED",
      transformed ? (window, timestamp) => transformedOutputTime(windowFn, window, timestamp) : undefined,
    );
  }

  /**
   * From now on, keeps the data of the least recently used windows on disk past
   * `settings.share` (state larger than memory, as a stateful ParDo's cold entries). The
   * window itself stays in memory (its key, trigger state, holds and heap places).
   */
  keepColdData(settings: ColdDataSettings<S>): void {
    const { coder } = settings;
    this.cold = new ColdTier<WindowState<S>>({
      share: settings.share,
      dir: settings.dir,
      itemOverhead: WINDOW_OVERHEAD,
      write: (ws, out) => {
        try {
          coder.encode(ws.data, out, true);
        } catch (err) {
          throw settings.cannotEncode(err);
        }
      },
      read: (ws, bytes) => {
        ws.data = coder.decode(new BufferReader(bytes), true);
      },
      release: (ws) => {
        ws.data = undefined as S;
      },
      ...(settings.spilled !== undefined ? { spilled: settings.spilled } : {}),
    });
    for (const ws of this.windows()) this.cold.added(ws);
  }

  /** Removes the cold file, if any (the stage is done). */
  close(): void {
    this.cold?.close();
  }

  /** Every window, key by key. */
  private windows(): WindowState<S>[] {
    const out: WindowState<S>[] = [];
    for (const windows of this.keys.values()) for (const ws of windows.values()) out.push(ws);
    return out;
  }

  /** Before a window's data is used: read back if cold, and marked as recently used. */
  private use(ws: WindowState<S>): void {
    if (this.cold === undefined) return;
    if (ws.cold >= 0) this.cold.warm(ws);
    ws.lastUsed = this.uses;
  }

  /** After an absorb or advance: the cold tier measures and evicts. */
  private afterBundle(): void {
    if (this.cold === undefined) return;
    this.uses++;
    const changed = this.changed;
    this.changed = [];
    this.cold.afterBundle(changed, () => this.windows(), (ws) => !ws.dead);
  }

  /** Open windows (key and window pairs) holding state. */
  get size(): number {
    return this.windowCount;
  }

  /** True when an element in `window` is beyond the allowed lateness and must be dropped. */
  isLate(window: BoundedWindow, inputWatermark: Instant): boolean {
    return garbageCollectionTime(window, this.windowing.allowedLateness, GLOBAL_WINDOW_MAX_TIMESTAMP) < inputWatermark;
  }

  /** The step's output watermark: its input watermark, held back by pending panes. */
  outputWatermark(inputWatermark: Instant): Instant {
    const heap = this.holdHeap;
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return inputWatermark;
      if (top.dead || top.holdKey !== heap.peekKey()) {
        heap.pop();
        continue;
      }
      return Math.min(inputWatermark, heap.peekKey());
    }
  }

  /** The next processing time at which a trigger may fire; +Infinity when none. */
  nextProcessingWakeup(): Instant {
    const heap = this.procHeap;
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return Infinity;
      if (top.dead || top.procKey !== heap.peekKey()) {
        heap.pop();
        continue;
      }
      return heap.peekKey();
    }
  }

  /** Takes a committed bundle's table; panes that fire are appended to `out`. */
  absorb(bundle: BundleTable<S>, env: ReduceEnv, out: WindowedValue<unknown>[]): void {
    const merging = this.windowing.windowFn.isMerging;
    for (const ke of bundle.table.keys()) {
      const keyId = this.identity(ke.key);
      let windows = this.keys.get(keyId);
      if (windows === undefined) this.keys.set(keyId, (windows = new Map()));
      else this.touchHook?.(windows);
      if (!merging) {
        // Most keys have one window per bundle: no lists on this path.
        this.check(this.add(windows, ke.key, keyId, ke.first, env), env, out);
        if (ke.more !== undefined) for (const we of ke.more.values()) this.check(this.add(windows, ke.key, keyId, we, env), env, out);
      } else {
        let touched: WindowState<S>[] = [];
        for (const we of windowEntries(ke)) {
          const ws = this.add(windows, ke.key, keyId, we, env);
          if (ws !== undefined) touched.push(ws);
        }
        touched = this.mergeWindows(windows, touched, env);
        for (const ws of touched) this.check(ws, env, out);
      }
      if (windows.size === 0) this.keys.delete(keyId);
    }
    this.afterBundle();
  }

  /**
   * Writes every key and window's state (layout: reduce-snapshot.ts). Called between
   * passes, when no bundle is being absorbed.
   */
  snapshot(out: ByteWriter, coders: ReduceStateCoders<S>): void {
    out.writeBytes(this.beginSnapshot(coders).finish());
  }

  /**
   * `snapshot` taken now and written later, while the runner goes on (copy on write): the
   * executor stops only to list the keys. A key about to change (a bundle brings it
   * elements, or one of its windows wakes up) is written first, as it was (`touchHook`).
   */
  beginSnapshot(coders: ReduceStateCoders<S>): PendingReduceSnapshot {
    if (this.touchHook !== undefined) throw new Error("internal error: a ReduceRunner has two snapshots in progress");
    const mark = ++reduceSnapshots;
    const keys: KeyWindows<S>[] = [];
    for (const windows of this.keys.values()) {
      const marked = windows as KeyWindows<S>;
      marked.snapshotMark = mark;
      marked.snapshotSlot = keys.length;
      keys.push(marked);
    }
    const windowCount = this.windowCount;
    const header = (out: ByteWriter) => {
      out.writeVarInt(windowCount);
      out.writeVarInt(keys.length);
    };
    const writer = new CopyOnWriteWriter(keys, header, (windows, out) => writeKeyWindows(out, windows, coders, this.cold));
    const touched = (windows: KeyWindows<S>) => {
      if (windows.snapshotMark === mark) writer.touch(windows.snapshotSlot!);
    };
    const release = () => {
      if (this.touchHook === touched) this.touchHook = undefined;
    };
    if (keys.length > 0) this.touchHook = touched;
    let bytes: Uint8Array | undefined;
    return {
      advance: (deadline) => {
        const done = writer.advance(deadline);
        if (done) release();
        return done;
      },
      finish: () => {
        if (bytes === undefined) {
          release();
          bytes = writer.finish();
        }
        return bytes;
      },
    };
  }

  /** Before a key's windows change while a snapshot is written (beginSnapshot). */
  private touchKey(keyId: KeyIdentity): void {
    const windows = this.keys.get(keyId);
    if (windows !== undefined) this.touchHook?.(windows);
  }

  /**
   * Reads what `snapshot` wrote into this runner, which must hold nothing yet, and pushes
   * each window's wake-ups and hold into the heaps again. With `keep` (a restore at another
   * --parallelism, which reads every old executor's snapshot into each new one), only the
   * keys it accepts are restored, merged with those already read: the old executors' keys
   * are disjoint, so a key seen twice is still damage.
   */
  restore(input: ByteReader, coders: ReduceStateCoders<S>, keep?: (key: unknown) => boolean): void {
    if (keep === undefined && this.windowCount !== 0) throw new BeamError("CHECKPOINT_RESTORE", "ReduceRunner.restore: the runner already holds state; restore into a freshly built one.");
    const expected = input.readVarInt();
    const keyCount = readCount(input, "the number of keys");
    const shape = this.trigger.init();
    let read = 0;
    for (let k = 0; k < keyCount; k++) {
      const decoded = coders.key.decode(input, true);
      const keyId = this.identity(decoded);
      if (this.keys.has(keyId)) throw corruptSnapshot("a key appears twice");
      const key = this.outputKey(decoded, keyId);
      const windows = new Map<string, WindowState<S>>();
      const kept = keep === undefined || keep(decoded);
      if (kept) this.keys.set(keyId, windows);
      const n = readCount(input, "the number of a key's windows");
      if (n === 0) throw corruptSnapshot("a key has no windows");
      for (let w = 0; w < n; w++) {
        const window = coders.window.decode(input, true);
        const dataStart = input.position;
        const ws = this.newWindow(key, keyId, window, coders.data.decode(input, true));
        this.cold?.restored(ws, input.position - dataStart);
        ws.count = input.readVarInt();
        ws.unseen = input.readVarInt();
        ws.unseenTimestamp = input.readDoubleBE();
        ws.trigger = readTriggerState(input, shape);
        const flags = input.readByte();
        if (flags > 3) throw corruptSnapshot(`window flags ${flags} have unknown bits`);
        ws.closed = (flags & 1) !== 0;
        ws.fresh = (flags & 2) !== 0;
        ws.panesEmitted = input.readVarInt();
        ws.nonSpeculativeEmitted = input.readVarInt();
        ws.lastTiming = readTiming(input);
        ws.elementHold = readOptionalInstant(input);
        ws.extraHold = readOptionalInstant(input);
        ws.eventKey = input.readDoubleBE();
        ws.procKey = input.readDoubleBE();
        ws.holdKey = input.readDoubleBE();
        if (windows.has(window.id())) throw corruptSnapshot("a key's window appears twice");
        windows.set(window.id(), ws);
        read++;
        if (!kept) {
          // Read to the end (the layout has no lengths to skip by), then left to another executor.
          this.windowCount--;
          this.cold?.dropped(ws);
          continue;
        }
        if (!Number.isNaN(ws.eventKey)) this.eventHeap.push(ws.eventKey, ws);
        if (ws.procKey < Infinity) this.procHeap.push(ws.procKey, ws);
        if (ws.holdKey < Infinity) this.holdHeap.push(ws.holdKey, ws);
        // A restore larger than the share evicts as it goes.
        if (this.cold !== undefined && read % 1024 === 0) this.afterBundle();
      }
    }
    this.afterBundle();
    if (read !== expected) throw corruptSnapshot(`it says ${expected} windows but holds ${read}`);
  }

  /** Adds a bundle's entry to its window's state; undefined when the window is closed. */
  private add(
    windows: Map<string, WindowState<S>>,
    key: unknown,
    keyId: KeyIdentity,
    we: WindowEntry<S>,
    env: ReduceEnv,
  ): WindowState<S> | undefined {
    const wid = we.window.id();
    let ws = windows.get(wid);
    if (ws !== undefined && ws.closed) {
      this.drops.droppedDueToClosedWindow(we.count);
      return undefined;
    }
    if (ws === undefined) {
      ws = this.newWindow(key, keyId, we.window, we.state);
      ws.fresh = true;
      windows.set(wid, ws);
    } else {
      this.use(ws);
      ws.data = this.reduceFn.merge(ws.data, we.state);
    }
    if (this.cold !== undefined) this.changed.push(ws);
    ws.count += we.count;
    ws.unseen += we.count;
    ws.unseenTimestamp = we.minTimestamp;
    this.addElementHolds(ws, we, env);
    return ws;
  }

  /** Runs the trigger over the window's new elements and fires it if it says so. */
  private check(ws: WindowState<S> | undefined, env: ReduceEnv, out: WindowedValue<unknown>[]): void {
    if (ws === undefined || ws.dead) return;
    const tenv = this.triggerEnv(ws.window, env);
    for (let i = 0; i < ws.unseen; i++) this.trigger.onElement(ws.trigger, tenv, ws.unseenTimestamp);
    ws.unseen = 0;
    ws.fresh = false;
    if (!ws.closed && this.trigger.shouldFire(ws.trigger, tenv)) this.fire(ws, env, false, out);
    if (!ws.dead) this.schedule(ws, env);
  }

  /**
   * Acts on time passing: fires windows whose trigger is due at the current watermark or
   * processing time, and garbage-collects windows past their allowed lateness (their
   * final pane fires first). Panes are appended to `out`.
   */
  advance(env: ReduceEnv, out: WindowedValue<unknown>[]): void {
    const parked: WindowState<S>[] = [];
    const heap = this.eventHeap;
    while (heap.size > 0 && heap.peekKey() <= env.inputWatermark) {
      const key = heap.peekKey();
      const ws = heap.pop()!;
      if (ws.dead || ws.eventKey !== key) continue;
      if (this.touchHook !== undefined) this.touchKey(ws.keyId);
      ws.eventKey = NaN;
      this.visit(ws, env, out, parked);
    }
    const proc = this.procHeap;
    while (proc.size > 0 && proc.peekKey() <= env.processingTime) {
      const key = proc.peekKey();
      const ws = proc.pop()!;
      if (ws.dead || ws.procKey !== key) continue;
      if (this.touchHook !== undefined) this.touchKey(ws.keyId);
      ws.procKey = NaN;
      this.visit(ws, env, out, parked);
    }
    for (const ws of parked) if (!ws.dead) this.schedule(ws, env);
    this.afterBundle();
  }

  private visit(ws: WindowState<S>, env: ReduceEnv, out: WindowedValue<unknown>[], parked: WindowState<S>[]): void {
    if (ws.gcTime < env.inputWatermark) {
      // Beam's garbage collection: a window whose trigger is still open fires its final
      // pane (isLast) without asking the trigger; a closed one just goes.
      if (ws.closed) this.remove(ws);
      else this.fire(ws, env, true, out);
      return;
    }
    const tenv = this.triggerEnv(ws.window, env);
    if (!ws.closed && this.trigger.shouldFire(ws.trigger, tenv)) this.fire(ws, env, false, out);
    if (!ws.dead) parked.push(ws);
  }

  private newWindow(key: unknown, keyId: KeyIdentity, window: BoundedWindow, data: S): WindowState<S> {
    this.windowCount++;
    const ws: WindowState<S> = {
      key: this.outputKey(key, keyId),
      keyId,
      window,
      gcTime: garbageCollectionTime(window, this.windowing.allowedLateness, GLOBAL_WINDOW_MAX_TIMESTAMP),
      data,
      count: 0,
      unseen: 0,
      unseenTimestamp: 0,
      trigger: this.trigger.init(),
      closed: false,
      fresh: false,
      panesEmitted: 0,
      nonSpeculativeEmitted: 0,
      lastTiming: undefined,
      elementHold: undefined,
      extraHold: undefined,
      eventKey: NaN,
      procKey: NaN,
      holdKey: NaN,
      triggerWakeEvent: Infinity,
      dead: false,
      cold: -1,
      coldLength: 0,
      lastUsed: this.uses,
      size: 0,
    };
    this.cold?.added(ws);
    return ws;
  }

  private triggerEnv(window: BoundedWindow, env: ReduceEnv): TriggerEnv {
    const e = this.env;
    e.window = window;
    e.watermark = env.inputWatermark;
    e.processingTime = env.processingTime;
    e.synchronizedProcessingTime = env.processingTime;
    return e;
  }

  /**
   * Beam's WatermarkHold.addHolds, element by element: an element holds the output
   * watermark at its output time (by the timestamp combiner) unless that is behind the
   * output watermark or the input watermark has passed the window's end; such late elements
   * hold at the window's garbage-collection time instead, so their pane is not dropped
   * downstream. A bundle's entry may hold both kinds: its on-time elements' hold is the
   * earliest (EARLIEST, from the entry's timestamps), latest or end-of-window one of them.
   * Under EARLIEST_TRANSFORMED the entry's times are the transformed output times (see
   * newBundleTable), so it holds as EARLIEST does, judging lateness by the shifted time as
   * Java's WatermarkHold.addElementHold did.
   */
  private addElementHolds(ws: WindowState<S>, we: WindowEntry<S>, env: ReduceEnv): void {
    const end = ws.window.maxTimestamp();
    const combiner = this.windowing.timestampCombiner;
    const outputWm = env.outputWatermark;
    const open = end >= env.inputWatermark;
    let hold: Instant | undefined;
    let late: boolean;
    if (combiner === "END_OF_WINDOW") {
      late = !open || end < outputWm;
      if (!late) hold = end;
    } else {
      late = !open || we.minTimestamp < outputWm;
      if (open && we.maxTimestamp >= outputWm) hold = combiner === "LATEST" ? we.maxTimestamp : earliestNotBefore(we, outputWm);
    }
    if (hold !== undefined) {
      const prev = ws.elementHold;
      ws.elementHold = prev === undefined ? hold : combiner === "LATEST" ? Math.max(prev, hold) : Math.min(prev, hold);
    }
    if (late && ws.gcTime >= env.inputWatermark && (ws.extraHold === undefined || ws.gcTime < ws.extraHold)) ws.extraHold = ws.gcTime;
  }

  /** Emits a pane of `ws` (if Beam would), then resets or closes the window. */
  private fire(ws: WindowState<S>, env: ReduceEnv, garbageCollection: boolean, out: WindowedValue<unknown>[]): void {
    this.use(ws);
    let finished = garbageCollection;
    if (!garbageCollection) {
      const tenv = this.triggerEnv(ws.window, env);
      this.trigger.onFire(ws.trigger, tenv);
      finished = this.trigger.isFinished(ws.trigger);
    }
    const timing = paneTiming(ws.window, ws.lastTiming, env.inputWatermark, env.outputWatermark);
    const isEmpty = ws.count === 0;
    // Beam's defaults: the ON_TIME pane is emitted even when empty (OnTimeBehavior
    // FIRE_ALWAYS); other empty panes, the final one included, are not (FIRE_IF_NON_EMPTY).
    if (!isEmpty || timing === "ON_TIME") {
      // Beam's WatermarkHold.extractAndRelease: the earlier hold, but never past the end of
      // the window (late-only and empty panes get the window's max timestamp).
      const end = ws.window.maxTimestamp();
      const timestamp = Math.min(ws.elementHold ?? Infinity, ws.extraHold ?? Infinity, end);
      const pane = paneInfo(
        ws.panesEmitted === 0,
        finished,
        timing,
        ws.panesEmitted,
        timing === "EARLY" ? -1 : ws.nonSpeculativeEmitted,
      );
      const keep = this.accumulating && !finished;
      out.push({ value: kv(ws.key, this.reduceFn.extract(ws.data, keep)), timestamp, windows: [ws.window], pane });
      ws.panesEmitted++;
      if (timing !== "EARLY") ws.nonSpeculativeEmitted++;
      ws.lastTiming = timing;
    }
    ws.count = 0;
    ws.elementHold = undefined;
    ws.extraHold = undefined;
    if (!this.accumulating) ws.data = this.reduceFn.create();
    if (finished) {
      ws.panesEmitted = 0;
      ws.nonSpeculativeEmitted = 0;
      ws.lastTiming = undefined;
    }
    if (garbageCollection) {
      this.remove(ws);
      return;
    }
    if (finished) {
      // A closed window keeps only its "closed" mark until garbage collection.
      ws.closed = true;
      ws.data = this.reduceFn.create();
      return;
    }
    // With Beam's default ClosingBehavior (FIRE_IF_NON_EMPTY) no hold is kept for the
    // next, still empty, pane.
  }

  private remove(ws: WindowState<S>): void {
    ws.dead = true;
    this.windowCount--;
    this.cold?.dropped(ws);
    const windows = this.keys.get(ws.keyId);
    if (windows !== undefined) {
      windows.delete(ws.window.id());
      if (windows.size === 0) this.keys.delete(ws.keyId);
    }
  }

  /**
   * Pushes the window's wake-up times and hold into the heaps when they changed. A trigger
   * wake-up at or before the current time was just checked and did not fire, so the next
   * event-time check is garbage collection.
   */
  private schedule(ws: WindowState<S>, env: ReduceEnv): void {
    const next = this.trigger.nextWakeup(ws.trigger, this.triggerEnv(ws.window, env));
    let eventKey = ws.closed ? ws.gcTime : Math.min(next.eventTime, ws.gcTime);
    if (eventKey <= env.inputWatermark) eventKey = ws.gcTime;
    if (eventKey !== ws.eventKey) {
      ws.eventKey = eventKey;
      this.eventHeap.push(eventKey, ws);
    }
    const pt = next.processingTime;
    const procKey = ws.closed || pt <= env.processingTime || pt >= MAX_TIMESTAMP ? Infinity : pt;
    if (procKey !== ws.procKey) {
      ws.procKey = procKey;
      if (procKey < Infinity) this.procHeap.push(procKey, ws);
    }
    const hold = Math.min(ws.elementHold ?? Infinity, ws.extraHold ?? Infinity);
    if (hold !== ws.holdKey) {
      ws.holdKey = hold;
      if (hold < Infinity) this.holdHeap.push(hold, ws);
    }
  }

  /**
   * Merges the key's open windows as the WindowFn says (sessions); returns the windows to
   * check. As in Beam's MergingActiveWindowSet, closed windows (finished triggers) take no
   * part, windows that fired but are open do, and the merged window starts its pane
   * numbering afresh unless it is one of the windows merged (then it keeps that one's).
   *
   * The trigger merges the states of the windows that existed before this bundle only, as
   * Java's ReduceFnRunner.OnMergeCallback hands TriggerStateMachineRunner.onMerge only the
   * ACTIVE windows ("NEW windows by definition have no existing state"): the new elements'
   * own windows have not run the trigger yet, and counting their untouched state would,
   * for instance, put a session that a late element extends back into afterWatermark's
   * early phase (and fire it at once) when every session it merges is in its late phase.
   * When only new windows merge, the merged window starts as a new one (Java would run
   * onMerge over no windows, where "finished in all merging windows" holds vacuously: a
   * late afterWatermark() session made of two late elements of one bundle would close at
   * once and drop them, while one late element alone fires a late pane).
   */
  private mergeWindows(windows: Map<string, WindowState<S>>, touched: WindowState<S>[], env: ReduceEnv): WindowState<S>[] {
    const open = [...windows.values()].filter((w) => !w.closed);
    const merges = this.windowing.windowFn.mergeWindows!(open.map((w) => w.window));
    if (merges.length === 0) return touched;
    const result = new Set(touched);
    const combiner = this.windowing.timestampCombiner;
    for (const m of merges) {
      const parts = m.from.map((w) => windows.get(w.id())).filter((w): w is WindowState<S> => w !== undefined && !w.closed);
      if (parts.length === 0) continue;
      const resultId = m.result.id();
      if (parts.length === 1 && parts[0]!.window.id() === resultId) continue;
      const merged = this.newWindow(parts[0]!.key, parts[0]!.keyId, m.result, this.reduceFn.create());
      const active = parts.filter((p) => !p.fresh);
      const activeSame = active.findIndex((p) => p.window.id() === resultId);
      merged.trigger =
        active.length === 0
          ? this.trigger.init()
          : this.trigger.onMerge(
              active.map((p) => p.trigger),
              this.triggerEnv(m.result, env),
              activeSame >= 0 ? activeSame : undefined,
            );
      const same = parts.find((p) => p.window.id() === resultId);
      if (same !== undefined) {
        merged.panesEmitted = same.panesEmitted;
        merged.nonSpeculativeEmitted = same.nonSpeculativeEmitted;
        merged.lastTiming = same.lastTiming;
      }
      let held = false;
      for (const p of parts) {
        this.use(p);
        merged.data = this.reduceFn.merge(merged.data, p.data);
        merged.count += p.count;
        merged.unseen += p.unseen;
        merged.unseenTimestamp = p.unseenTimestamp;
        if (p.elementHold !== undefined) {
          held = true;
          merged.elementHold = minDefined(merged.elementHold, p.elementHold, combiner === "LATEST");
        }
        // Not remove(): the key's window map must survive until the merged window is in it.
        p.dead = true;
        this.windowCount--;
        this.cold?.dropped(p);
        windows.delete(p.window.id());
        result.delete(p);
      }
      // Beam's WatermarkHold.onMerge: END_OF_WINDOW holds move to the merged window's end
      // (if still on time); extra holds become one garbage-collection hold.
      const end = m.result.maxTimestamp();
      if (combiner === "END_OF_WINDOW" && held) merged.elementHold = end >= env.inputWatermark ? end : undefined;
      if (merged.gcTime >= env.inputWatermark) merged.extraHold = merged.gcTime;
      merged.closed = this.trigger.isFinished(merged.trigger);
      windows.set(resultId, merged);
      result.add(merged);
    }
    return [...result];
  }
}

function minDefined(a: Instant | undefined, b: Instant | undefined, max: boolean): Instant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return max ? Math.max(a, b) : Math.min(a, b);
}

/**
 * The earliest of an entry's timestamps at or after `threshold` (its maximum is): its
 * minimum when that is not behind, else a scan of its timestamps (without them, the maximum).
 */
function earliestNotBefore<S>(we: WindowEntry<S>, threshold: Instant): Instant {
  if (we.minTimestamp >= threshold) return we.minTimestamp;
  let earliest = we.maxTimestamp;
  for (const t of we.timestamps ?? []) if (t >= threshold && t < earliest) earliest = t;
  return earliest;
}
