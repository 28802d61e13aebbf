import type { BoundedWindow, Coder, Instant, KV, WindowedValue } from "../model/index.js";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, formatInstant } from "../model/index.js";
import { CoderUrns, encodeToBytes, timerCoder, type TimerData } from "../coders/index.js";
import {
  checkedTimerOutput,
  garbageCollectionTime,
  onTimerContext,
  requireKeyed,
  windowExpiryContext,
  type DoFnOperation,
  type Operation,
  type StateEntry,
} from "../runtime/index.js";
import type { StateSpecMap, TimeDomain, Timer, TimerFamily, TimerSpecMap } from "../transforms/index.js";
import { BundleTimers, decodeFiredTimers, type FiredTimer, type TimerFamilyDecl } from "./timers.js";
import { BundleUserState, userStateCells, type UserStateCell, type UserStateClient } from "./user-state.js";
import type { ParDoPayload } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";

/** How many timers a bundle may fire for one runner-fired timer before a timer loop is reported. */
const MAX_IN_BUNDLE_FIRINGS = 100_000;

/** What a stateful ParDo of a descriptor is made of. */
export interface StatefulParDoConfig {
  readonly transformId: string;
  readonly op: DoFnOperation;
  readonly doFn: { readonly state?: StateSpecMap; readonly timers?: TimerSpecMap };
  readonly cells: readonly UserStateCell[];
  /** The main input's key coder and window coder, as the runner knows them. */
  readonly keyCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  readonly allowedLateness: number;
  /** The timer family the runner fires when a window expires (Beam's on_window_expiration_timer_family_spec), or "". */
  readonly windowExpirationFamily: string;
}

/** What the bundle processor knows of a stateful ParDo when it builds the descriptor's operations. */
export interface StatefulParDoParts {
  readonly transformId: string;
  readonly payload: ParDoPayload;
  readonly op: DoFnOperation;
  readonly doFn: object;
  /** The main input's element coder (a KV coder) and window coder, from the descriptor. */
  readonly inputCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  readonly allowedLateness: number;
  readonly coder: (id: string) => Coder<unknown>;
}

/** Builds the operation of a stateful ParDo from the descriptor (state specs, key and window coders). */
export function createStatefulOperation(parts: StatefulParDoParts): FnApiStatefulOperation {
  const label = parts.op.label;
  if (parts.inputCoder.urn !== CoderUrns.kv) {
    throw new Error(`${label}: a stateful ParDo needs a KV input coder (the runner keys state by it), got ${parts.inputCoder.toString()}.`);
  }
  const doFn = parts.doFn as { state?: StateSpecMap; timers?: TimerSpecMap };
  return new FnApiStatefulOperation({
    transformId: parts.transformId,
    op: parts.op,
    doFn,
    cells: userStateCells(label, doFn.state ?? {}, parts.payload.stateSpecs, parts.coder),
    keyCoder: parts.inputCoder.components[0]!,
    windowCoder: parts.windowCoder,
    allowedLateness: parts.allowedLateness,
    windowExpirationFamily: parts.payload.onWindowExpirationTimerFamilySpec,
  });
}

/** Where a bundle's stateful ParDo reads and writes state and sends its timers. */
export interface StatefulBundleIo {
  readonly state: UserStateClient | undefined;
  sendTimers(transformId: string, familyId: string, data: Uint8Array, isLast: boolean): void;
}

/** Work of the bundle in arrival order: an element (one window) or a fired timer. */
type Work = { readonly element: WindowedValue<unknown> } | { readonly timer: FiredTimer };

/** The state and timer accessors a DoFn sees for one key and window. */
interface Bound {
  readonly state: Record<string, unknown>;
  readonly timers: Record<string, unknown>;
}

/**
 * A stateful ParDo in the SDK harness (Beam's FnApiDoFnRunner with user state and
 * timers). Elements and fired timers are queued as they arrive and run in order by
 * `drain`, which first reads the state of every (key, window) of the queued work over the
 * state channel (DoFns then use it synchronously); `onTimer` and `onWindowExpiration` run
 * for timers the runner fires. Timers set or cleared are sent on the data channel's timer
 * streams, and changed state is written back, when the bundle finishes.
 */
export class FnApiStatefulOperation implements Operation {
  readonly label: string;
  private readonly families = new Map<string, TimerFamilyDecl>();
  private readonly eventFamilies = new Set<string>();
  private readonly timerCoder: Coder<TimerData<unknown>>;
  private io: StatefulBundleIo | undefined;
  private state: BundleUserState | undefined;
  private timers: BundleTimers | undefined;
  private queue: Work[] = [];
  private running: Promise<void> | undefined;
  /** The timestamp of the element or timer being processed (timer defaults and checks use it). */
  private currentTimestamp: Instant = 0;

  constructor(private readonly config: StatefulParDoConfig) {
    this.label = config.op.label;
    for (const [id, spec] of Object.entries(config.doFn.timers ?? {})) {
      this.families.set(id, { id, domain: spec.domain, plain: spec.kind === "timer" });
      if (spec.domain === "EVENT_TIME") this.eventFamilies.add(id);
    }
    this.timerCoder = timerCoder(config.keyCoder, config.windowCoder);
  }

  /** The wrapped DoFn operation (its metrics are the step's). */
  get doFnOperation(): DoFnOperation {
    return this.config.op;
  }

  /** The declared timer families: the runner ends each with an is_last timer block, and so does the harness. */
  get timerFamilyIds(): readonly string[] {
    return [...this.families.keys()];
  }

  /** Connects the next bundle to its state channel and timer output. */
  bind(io: StatefulBundleIo): void {
    this.io = io;
  }

  async startBundle(): Promise<void> {
    const client = this.io?.state;
    if (client === undefined) throw new Error(`${this.label}: the runner gave no state channel for a stateful ParDo.`);
    this.state = new BundleUserState(this.config.transformId, this.config.cells, client);
    this.timers = new BundleTimers(this.timerCoder);
    this.queue = [];
    await this.config.op.startBundle();
  }

  receive(wv: WindowedValue<unknown>): void {
    if (wv.windows.length === 1) this.queue.push({ element: wv });
    else for (const w of wv.windows) this.queue.push({ element: { ...wv, windows: [w] } });
  }

  /** Backpressure for the data input: the queue is run every 64 elements (their state read at once). */
  whenReady(): Promise<void> | undefined {
    return this.queue.length >= 64 ? this.drain() : undefined;
  }

  /** Decodes one timer block the runner sent for `familyId`. */
  decodeTimers(familyId: string, data: Uint8Array): FiredTimer[] {
    return decodeFiredTimers(this.timerCoder, this.config.keyCoder, familyId, data);
  }

  /** Queues fired timers after the work already queued. */
  queueTimers(timers: readonly FiredTimer[]): void {
    for (const timer of timers) this.queue.push({ timer });
  }

  /** Runs the queued work; resolves when the queue is empty. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running !== undefined) {
      this.running ??= this.runQueue().finally(() => (this.running = undefined));
      await this.running;
    }
  }

  async finishBundle(): Promise<void> {
    await this.drain();
    await this.config.op.finishBundle();
    await this.state!.flush();
    const { transformId } = this.config;
    for (const [family, data] of this.timers!.encode()) this.io!.sendTimers(transformId, family, data, false);
    for (const family of this.families.keys()) this.io!.sendTimers(transformId, family, new Uint8Array(0), true);
  }

  teardown(): Promise<void> {
    return this.config.op.teardown();
  }

  private async runQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      // Every (key, window) of the batch is read at once, then the work runs in order.
      const refs = batch.map((w) => this.ref(w));
      await Promise.all(refs.map((r) => this.state!.load(r.key, r.keyBytes, r.window, r.windowBytes)));
      for (let i = 0; i < batch.length; i++) {
        const work = batch[i]!;
        if ("element" in work) this.processElement(work.element, refs[i]!.keyBytes, refs[i]!.windowBytes);
        else this.processTimer(work.timer, refs[i]!.windowBytes);
      }
    }
  }

  /** The key and window a piece of work addresses, encoded as the runner keys state. */
  private ref(work: Work): { key: unknown; keyBytes: Uint8Array; window: BoundedWindow; windowBytes: Uint8Array } {
    if ("timer" in work) {
      const t = work.timer;
      return { key: t.key, keyBytes: t.keyBytes, window: t.window, windowBytes: encodeToBytes(this.config.windowCoder, t.window, true) };
    }
    const wv = work.element;
    const window = wv.windows[0]!;
    const kv = requireKeyed(this.label, wv.value, window);
    return {
      key: kv.key,
      keyBytes: encodeToBytes(this.config.keyCoder, kv.key, true),
      window,
      windowBytes: encodeToBytes(this.config.windowCoder, window, true),
    };
  }

  private processElement(wv: WindowedValue<unknown>, keyBytes: Uint8Array, windowBytes: Uint8Array): void {
    const kv = wv.value as KV<unknown, unknown>;
    const window = wv.windows[0]!;
    const b = this.bound(this.state!.entry(keyBytes, windowBytes)!, keyBytes);
    this.currentTimestamp = wv.timestamp;
    this.config.op.processStateful(kv, wv.timestamp, window, { key: kv.key, state: b.state, timers: b.timers });
  }

  private processTimer(t: FiredTimer, windowBytes: Uint8Array): void {
    const e = this.state!.entry(t.keyBytes, windowBytes)!;
    if (t.family === this.config.windowExpirationFamily && this.config.windowExpirationFamily !== "") {
      this.config.op.callStatefulCallback(undefined, this.expiryContext(e, t.keyBytes), t.window);
      return;
    }
    const decl = this.families.get(t.family);
    if (decl === undefined) throw new Error(`${this.label}: the runner fired timer family "${t.family}", which the DoFn does not declare.`);
    if (decl.domain === "EVENT_TIME") {
      // The watermark has reached t, so event-time timers this bundle set for earlier are
      // due as well: they fire first, here (and are cleared on the runner).
      let fired = 0;
      for (let w = this.timers!.earliestSetBefore(t.keyBytes, t.window, t.fireTimestamp, this.eventFamilies); w !== undefined; ) {
        if (++fired > MAX_IN_BUNDLE_FIRINGS) {
          throw new Error(
            `${this.label}: timers fired ${MAX_IN_BUNDLE_FIRINGS} times without time moving: a timer that sets itself ` +
              `for a time already due never lets the bundle finish (last: "${w.tag || w.family}" at ${formatInstant(w.fireTimestamp!)}).`,
          );
        }
        this.timers!.write({ ...w, fireTimestamp: undefined });
        this.fire({ ...w, fireTimestamp: w.fireTimestamp!, key: t.key, keyBytes: t.keyBytes }, e);
        w = this.timers!.earliestSetBefore(t.keyBytes, t.window, t.fireTimestamp, this.eventFamilies);
      }
    }
    // A timer this bundle set again or cleared after the runner chose to fire it is stale.
    if (this.timers!.written(t.keyBytes, t.window, t.family, t.tag) !== undefined) return;
    this.fire(t, e);
  }

  private fire(t: FiredTimer, e: StateEntry): void {
    const decl = this.families.get(t.family)!;
    const b = this.bound(e, t.keyBytes);
    this.currentTimestamp = t.holdTimestamp;
    const timer = {
      key: t.key,
      window: t.window,
      fireTimestamp: t.fireTimestamp,
      outputTimestamp: t.holdTimestamp,
      domain: decl.domain,
      timerId: decl.plain ? decl.id : t.tag,
    };
    this.config.op.callStatefulCallback(t.family, onTimerContext(timer, b, this.config.op), t.window);
  }

  private expiryContext(e: StateEntry, keyBytes: Uint8Array): object {
    return windowExpiryContext(e, this.bound(e, keyBytes).state, this.config.op);
  }

  private bound(e: StateEntry, keyBytes: Uint8Array): Bound {
    e.accessors ??= { state: this.state!.accessors(e), timers: this.timerAccessors(e, keyBytes) };
    return e.accessors as unknown as Bound;
  }

  private timerAccessors(e: StateEntry, keyBytes: Uint8Array): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const decl of this.families.values()) {
      if (decl.plain) out[decl.id] = this.timer(e, keyBytes, decl, decl.id);
      else {
        const family: TimerFamily = { get: (tag: string) => this.timer(e, keyBytes, decl, tag) };
        out[decl.id] = family;
      }
    }
    return out;
  }

  /** A timer as the embedded runner checks it (StatefulStage), written to this bundle's timer output. */
  private timer(e: StateEntry, keyBytes: Uint8Array, decl: TimerFamilyDecl, tag: string): Timer {
    const domain: TimeDomain = decl.domain;
    const wireTag = decl.plain ? "" : tag;
    const window = e.window;
    const set = (fireTimestamp: Instant, outputTimestamp: Instant | undefined) => {
      const expiry = garbageCollectionTime(window, this.config.allowedLateness, GLOBAL_WINDOW_MAX_TIMESTAMP);
      const out = checkedTimerOutput({ tag, domain, window, expiry, fireTimestamp, outputTimestamp, current: this.currentTimestamp });
      this.timers!.write({ family: decl.id, tag: wireTag, key: e.key, keyBytes, window, fireTimestamp, holdTimestamp: out });
    };
    return {
      set: (timestamp, options) => set(timestamp, options?.outputTimestamp),
      setRelative: (delay, options) => {
        if (domain !== "PROCESSING_TIME") {
          throw new Error(`timer "${tag}" is an event-time timer; setRelative is for processing-time timers. Use set(timestamp).`);
        }
        // The runner's processing time: Prism rebases wall-clock timers onto its own clock.
        set(Date.now() + delay, options?.outputTimestamp);
      },
      clear: () =>
        this.timers!.write({ family: decl.id, tag: wireTag, key: e.key, keyBytes, window, fireTimestamp: undefined, holdTimestamp: this.currentTimestamp }),
    };
  }
}
