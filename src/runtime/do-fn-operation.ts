import type { BoundedWindow, Instant, PaneInfo, WindowedValue } from "../model/index.js";
import { BeamError, NO_FIRING, formatInstant } from "../model/index.js";
import type { DoFn, ExecutorIdentity, FinishBundleContext, OutputTags, PCollectionView, ProcessContext, StartBundleContext } from "../transforms/index.js";
import { MetricsContainer, MetricsEnvironment, syncScope } from "../metrics/index.js";
import type { Operation } from "./operation.js";
import { DISCARD, type Receiver } from "./receiver.js";
import { userCodeError } from "./user-code-error.js";
import { PendingCalls } from "./pending-calls.js";
import { BundleFinalizations } from "./bundle-finalization.js";
import { FifoQueue } from "./fifo-queue.js";
import type { ElementWise } from "../transforms/element-wise.js";

type AnyDoFn = DoFn<unknown, unknown, OutputTags>;

/** Reads side inputs for a main-input window; provided by the host runner. */
export interface SideInputReader {
  get<V>(view: PCollectionView<V>, mainWindow: BoundedWindow, label: string): V;
}

/** Everything a DoFnOperation needs from its host. */
export interface DoFnOperationConfig {
  readonly label: string;
  /** The DoFn from the graph; never run itself, only shallow-copied (see DoFn docs). */
  readonly template: object;
  readonly mainOutput: Receiver;
  readonly taggedOutputs: ReadonlyMap<string, Receiver>;
  readonly sideInputs: SideInputReader;
  readonly declaredViews: ReadonlySet<PCollectionView<unknown>>;
  readonly maxConcurrency: number;
  /** How far outputWithTimestamp may go before the input's timestamp (ms; default 0). */
  readonly allowedTimestampSkew?: number;
  /**
   * Where calls whose promise has not settled are recorded (the host's stall detection and
   * lull warnings read it); default: a registry of this operation's own.
   */
  readonly pendingCalls?: PendingCalls;
  /** Whether the host runs every committed bundle's finalization callbacks (BundleFinalizer.finalizesReliably). */
  readonly finalizesReliably?: boolean;
  /** The executor running this step, shown to startBundle (StartBundleContext.executor); undefined: not told. */
  readonly executor?: ExecutorIdentity;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  // The typeof test first keeps primitives (the common result) off the property lookup.
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

const ASYNC_KINDS = new Set(["AsyncFunction", "AsyncGeneratorFunction"]);

function isDeclaredAsync(fn: unknown): boolean {
  return typeof fn === "function" && ASYNC_KINDS.has(fn.constructor.name);
}

/**
 * Runs one DoFn: its lifecycle (setup once per instance, start/finishBundle, teardown,
 * a fresh instance after a failure) and `process` per element and window.
 *
 * Synchronous DoFns cost one function call per element and reuse one context object.
 * A DoFn whose `process` returns a promise or async iterable switches to async mode: each
 * call gets its own context, at most `maxConcurrency` calls are in flight, the rest queue.
 */
export class DoFnOperation implements Operation {
  readonly label: string;
  private instance: AnyDoFn | undefined;
  private setUp = false;
  private asyncMode: boolean;
  private inFlight = 0;
  private readonly queue = new FifoQueue<[unknown, Instant, PaneInfo, BoundedWindow, readonly BoundedWindow[]]>();
  private failure: unknown;
  private idleWaiters: Array<() => void> = [];
  private shared: Context;
  private readonly pending: PendingCalls;
  /**
   * Metrics of the current bundle attempt; the host sets a fresh container before each
   * bundle. It is current (MetricsEnvironment) whenever this DoFn's code runs.
   */
  metrics: MetricsContainer;
  /**
   * `afterBundleCommit` callbacks of the current bundle attempt (cleared when a bundle
   * starts); the host takes them once the bundle has committed.
   */
  readonly finalizations: BundleFinalizations;

  constructor(private readonly config: DoFnOperationConfig) {
    this.label = config.label;
    this.finalizations = new BundleFinalizations(config.label, config.finalizesReliably === true);
    this.metrics = new MetricsContainer(config.label);
    this.pending = config.pendingCalls ?? new PendingCalls();
    // Declared async (a DoFn's `async process`, or the function given to map/flatMap/filter):
    // every call runs in the async metrics scope from the first, so code after its awaits
    // records to this step. Otherwise the first call that returns a promise switches modes.
    const template = config.template as AnyDoFn & { fn?: unknown };
    this.asyncMode = isDeclaredAsync(template.process) || isDeclaredAsync(template.fn);
    this.shared = new Context(this);
  }

  async startBundle(): Promise<void> {
    this.failure = undefined;
    this.finalizations.clear();
    const fn = await this.ensureInstance();
    if (fn.startBundle) {
      // The synchronous scope ends with the synchronous call: held across the await, it
      // would take the counts of other steps' code that runs meanwhile.
      const previous = MetricsEnvironment.enter(this.metrics);
      let result: unknown;
      try {
        result = MetricsEnvironment.runAsync(this.metrics, () => fn.startBundle!(this.startContext()));
      } catch (err) {
        throw userCodeError(this.label, err);
      } finally {
        MetricsEnvironment.exit(previous);
      }
      try {
        await this.awaitCall("startBundle", result);
      } catch (err) {
        throw userCodeError(this.label, err);
      }
    }
  }

  private startContext(): StartBundleContext {
    const executor = this.config.executor;
    return executor === undefined ? { metrics: this.metrics, bundleFinalizer: this.finalizations } : { metrics: this.metrics, bundleFinalizer: this.finalizations, executor };
  }

  /**
   * Elements received (attempted), for job snapshots: a field increment is the cheapest
   * count of a fused edge, cheaper than a counting receiver in front of it.
   */
  elementsIn = 0;

  receive(wv: WindowedValue<unknown>): void {
    if (this.failure !== undefined) throw this.failure;
    this.elementsIn++;
    const windows = wv.windows;
    if (windows.length === 1) this.invoke(wv.value, wv.timestamp, wv.pane, windows[0]!, windows);
    else for (const w of windows) this.invoke(wv.value, wv.timestamp, wv.pane, w, [w]);
  }

  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    if (this.failure !== undefined) throw this.failure;
    this.elementsIn++;
    if (windows.length === 1) this.invoke(value, timestamp, pane, windows[0]!, windows);
    else for (const w of windows) this.invoke(value, timestamp, pane, w, [w]);
  }

  whenReady(): Promise<void> | undefined {
    if (this.queue.size <= this.config.maxConcurrency) return undefined;
    return this.idle();
  }

  async finishBundle(): Promise<void> {
    if (this.inFlight > 0 || this.queue.size > 0) await this.idle();
    if (this.failure !== undefined) throw this.failure;
    const fn = this.instance!;
    if (fn.finishBundle) {
      // The synchronous scope ends with the synchronous call: held across the await, it
      // would take the counts of other steps' code that runs meanwhile.
      const previous = MetricsEnvironment.enter(this.metrics);
      let result: unknown;
      try {
        result = MetricsEnvironment.runAsync(this.metrics, () => fn.finishBundle!(this.finishContext()));
      } catch (err) {
        throw userCodeError(this.label, err);
      } finally {
        MetricsEnvironment.exit(previous);
      }
      try {
        await this.awaitCall("finishBundle", result);
      } catch (err) {
        throw userCodeError(this.label, err);
      }
    }
  }

  /** Tears the current instance down; the next bundle gets a fresh copy (Beam semantics). */
  async teardown(): Promise<void> {
    this.finalizations.clear();
    const fn = this.instance;
    this.instance = undefined;
    const wasSetUp = this.setUp;
    this.setUp = false;
    this.queue.clear();
    if (fn?.teardown && wasSetUp) {
      try {
        await fn.teardown();
      } catch (err) {
        // As Beam: teardown is best effort and must not change the job's outcome, but its
        // failure is reported (Java logs "Exception while cleaning up DoFn"): a process
        // warning, which Node prints to stderr and `process.on("warning")` receives.
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        process.emitWarning(`teardown of the DoFn of "${this.label}" threw ${message}; the job goes on.`, {
          type: "BeamTeardownWarning",
          code: "BEAM_TEARDOWN_FAILED",
          ...(err instanceof Error && err.stack !== undefined ? { detail: err.stack } : {}),
        });
      }
    }
  }

  /**
   * A restored job's commit of a callback that a checkpoint holds (DoFn.recoverCommit):
   * runs on this step's instance, set up first, before its first bundle.
   */
  async recoverCommit(recovery: Uint8Array): Promise<void> {
    const fn = await this.ensureInstance();
    const recover = (fn as { recoverCommit?: (r: Uint8Array) => unknown }).recoverCommit;
    if (typeof recover !== "function") {
      throw new BeamError(
        "NOT_RECOVERABLE",
        `The checkpoint holds a commit of step "${this.label}" to recover, but its DoFn has no recoverCommit(recovery) method. ` +
          `A DoFn that registers afterBundleCommit(expiry, callback, recovery) must implement recoverCommit.`,
      );
    }
    try {
      await recover.call(fn, recovery);
    } catch (err) {
      throw userCodeError(this.label, err);
    }
  }

  private async ensureInstance(): Promise<AnyDoFn> {
    if (this.instance === undefined) {
      const t = this.config.template;
      this.instance = Object.assign(Object.create(Object.getPrototypeOf(t) as object), t) as AnyDoFn;
      this.setUp = false;
    }
    if (!this.setUp) {
      this.setUp = true;
      if (this.instance.setup) {
        try {
          await this.awaitCall("setup", this.instance.setup());
        } catch (err) {
          throw userCodeError(this.label, err);
        }
      }
    }
    return this.instance;
  }

  /**
   * Processes one element of a stateful DoFn with its key, state and timers. Stateful
   * DoFns run synchronously (one element at a time keeps each key's order).
   */
  processStateful(value: unknown, timestamp: Instant, window: BoundedWindow, binding: StatefulBinding): void {
    if (this.failure !== undefined) throw this.failure;
    const ctx = this.shared;
    ctx.key = binding.key;
    ctx.state = binding.state;
    ctx.timers = binding.timers;
    this.invoke(value, timestamp, NO_FIRING, window, [window]);
    if (this.asyncMode) throw this.asyncStatefulError("process");
  }

  /**
   * Calls a stateful DoFn's `onTimer[name]` (or `onWindowExpiration` when `name` is
   * undefined) with `ctx`; its outputs go to the main output in `window`.
   */
  callStatefulCallback(name: string | undefined, ctx: object, window: BoundedWindow): void {
    const fn = this.instance as unknown as {
      onTimer?: Record<string, (ctx: object) => unknown>;
      onWindowExpiration?: (ctx: object) => unknown;
    };
    const callback = name === undefined ? fn.onWindowExpiration : fn.onTimer?.[name];
    if (callback === undefined) return;
    const previous = syncScope.container;
    syncScope.container = this.metrics;
    let result: unknown;
    try {
      result = name === undefined ? fn.onWindowExpiration!(ctx) : fn.onTimer![name]!(ctx);
    } catch (err) {
      syncScope.container = previous;
      throw userCodeError(this.label, err, undefined, window);
    }
    syncScope.container = previous;
    if (isThenable(result)) throw this.asyncStatefulError(name === undefined ? "onWindowExpiration" : `onTimer.${name}`);
  }

  /**
   * Calls `process` with a context the host built (splittable DoFns), under this step's
   * metrics; returns what `process` returned (a ProcessContinuation, or a promise of one).
   */
  callProcess(value: unknown, ctx: object, window: BoundedWindow): unknown {
    if (this.failure !== undefined) throw this.failure;
    const previous = MetricsEnvironment.enter(this.metrics);
    try {
      const result = MetricsEnvironment.runAsync(this.metrics, () =>
        (this.instance as unknown as { process(v: unknown, c: object): unknown }).process(value, ctx),
      );
      if (isThenable(result)) {
        const call = this.pending.begin(this.label, "process", value, window);
        return Promise.resolve(result)
          .catch((err: unknown) => {
            throw userCodeError(this.label, err, value, window);
          })
          .finally(() => this.pending.end(call));
      }
      return result;
    } catch (err) {
      throw userCodeError(this.label, err, value, window);
    } finally {
      MetricsEnvironment.exit(previous);
    }
  }

  private asyncStatefulError(what: string): Error {
    return userCodeError(
      this.label,
      new Error(`${what} returned a promise; stateful DoFns (state and timers) must be synchronous in this version.`),
    );
  }

  private invoke(
    value: unknown,
    timestamp: Instant,
    pane: PaneInfo,
    window: BoundedWindow,
    windows: readonly BoundedWindow[],
  ): void {
    if (this.asyncMode && this.inFlight >= this.config.maxConcurrency) {
      this.queue.push([value, timestamp, pane, window, windows]);
      return;
    }
    const ctx = this.asyncMode ? new Context(this) : this.shared;
    ctx.timestamp = timestamp;
    ctx.window = window;
    ctx.windows = windows;
    ctx.pane = pane;
    // No closures and no `finally` here: both make V8 allocate per call on this hot path.
    const previous = syncScope.container;
    syncScope.container = this.metrics;
    let result: unknown;
    try {
      result = this.asyncMode ? this.processAsync(value, ctx) : this.instance!.process(value, ctx);
    } catch (err) {
      syncScope.container = previous;
      throw userCodeError(this.label, err, value, window);
    }
    syncScope.container = previous;
    if (result === undefined) return;
    if (isThenable(result)) this.track(result, value, window);
    else if (isAsyncIterable(result)) this.track(drain(result, ctx), value, window);
  }

  /** Async calls also carry the metrics container across their awaits. */
  private processAsync(value: unknown, ctx: Context): unknown {
    return MetricsEnvironment.runAsync(this.metrics, () => this.instance!.process(value, ctx));
  }

  private track(work: PromiseLike<unknown>, element: unknown, window: BoundedWindow): void {
    if (!this.asyncMode) {
      // The shared context now belongs to this pending call; later calls get their own.
      this.asyncMode = true;
      this.shared = new Context(this);
    }
    this.inFlight++;
    const call = this.pending.begin(this.label, "process", element, window);
    work.then(
      () => {
        this.pending.end(call);
        this.settle();
      },
      (err: unknown) => {
        this.pending.end(call);
        this.failure ??= userCodeError(this.label, err, element, window);
        this.settle();
      },
    );
  }

  /**
   * Awaits what a lifecycle method returned, recorded as pending while it is a promise, so
   * a stalled `finishBundle` is named like a stalled `process`.
   */
  private async awaitCall(method: string, result: unknown): Promise<void> {
    if (!isThenable(result)) return;
    const call = this.pending.begin(this.label, method);
    try {
      await result;
    } finally {
      this.pending.end(call);
    }
  }

  private settle(): void {
    this.inFlight--;
    while (this.queue.size > 0 && this.inFlight < this.config.maxConcurrency && this.failure === undefined) {
      const [value, timestamp, pane, w, ws] = this.queue.shift()!;
      try {
        this.invoke(value, timestamp, pane, w, ws);
      } catch (err) {
        this.failure ??= err;
      }
    }
    if (this.failure !== undefined) this.queue.clear();
    if (this.inFlight === 0 && this.queue.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether calls run asynchronously (declared async, or a call returned a promise). */
  get isAsync(): boolean {
    return this.asyncMode;
  }

  /**
   * The hand-over of a composed chain (runners/embedded/element-wise-chain.ts): `result` is
   * what this step's function returned for `element`, of a kind the chain does not handle
   * itself (a promise, an async iterable). The step delivers it as its own `process` would,
   * and from a promise on runs asynchronously. Returns whether it now does.
   */
  deliverFromChain(
    step: ElementWise,
    element: unknown,
    result: unknown,
    timestamp: Instant,
    windows: readonly BoundedWindow[],
    pane: PaneInfo,
  ): boolean {
    const ctx = new Context(this);
    const window = windows[0]!;
    ctx.timestamp = timestamp;
    ctx.window = window;
    ctx.windows = windows;
    ctx.pane = pane;
    const previous = syncScope.container;
    syncScope.container = this.metrics;
    let delivered: unknown;
    try {
      delivered = step.deliver(element, result, ctx);
    } catch (err) {
      syncScope.container = previous;
      throw userCodeError(this.label, err, element, window);
    }
    syncScope.container = previous;
    if (isThenable(delivered)) this.track(delivered, element, window);
    return this.asyncMode;
  }

  /** @internal used by Context: the main output, the common case, without a tag lookup. */
  emitMain(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    const target = this.config.mainOutput;
    if (target.receiveParts !== undefined) target.receiveParts(value, timestamp, windows, pane);
    else target.receive({ value, timestamp, windows, pane });
  }

  /** @internal used by Context */
  emit(tag: string | undefined, value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    const target = tag === undefined ? this.config.mainOutput : this.config.taggedOutputs.get(tag);
    if (target === undefined) {
      throw new BeamError(
        "UNDECLARED_OUTPUT",
        `output tag "${tag}" was not declared; declare it with parDo(fn, { outputs: [${JSON.stringify(tag)}] }).`,
      );
    }
    if (target.receiveParts !== undefined) target.receiveParts(value, timestamp, windows, pane);
    else if (target !== DISCARD) target.receive({ value, timestamp, windows, pane });
  }

  /** @internal used by Context */
  get allowedSkew(): number {
    return this.config.allowedTimestampSkew ?? 0;
  }

  /** @internal used by Context: Beam's check that outputs do not move back in event time. */
  skewError(output: Instant, input: Instant): never {
    throw new BeamError(
      "TIMESTAMP_SKEW",
      `cannot output with timestamp ${formatInstant(output)}: outputs must be no earlier than the input's ` +
        `timestamp ${formatInstant(input)} minus the allowed skew (${this.allowedSkew} ms), or they could be late ` +
        `downstream. Pass parDo(fn, { allowedTimestampSkew }) (withTimestamps has the same option) if you mean it.`,
    );
  }

  /** @internal used by Context */
  readSide<V>(view: PCollectionView<V>, window: BoundedWindow): V {
    if (!this.config.declaredViews.has(view as PCollectionView<unknown>)) {
      throw new BeamError(
        "UNDECLARED_SIDE_INPUT",
        `side input ${view.toString()} was not declared; pass it in parDo(fn, { sideInputs: [view] }).`,
      );
    }
    return this.config.sideInputs.get(view, window, this.label);
  }

  private finishContext(): FinishBundleContext<unknown, OutputTags> {
    // Outputs name one window each; consecutive outputs in the same window (a batching DoFn
    // emitting a batch) share its one-element list, as the outputs of one process call share
    // their input's, instead of allocating one per element.
    let last: BoundedWindow | undefined;
    let lastWindows: readonly BoundedWindow[] = [];
    const windowsOf = (window: BoundedWindow): readonly BoundedWindow[] => (window === last ? lastWindows : ((last = window), (lastWindows = [window])));
    return {
      output: (value, timestamp, window) => this.emit(undefined, value, timestamp, windowsOf(window), NO_FIRING),
      outputTo: (tag, value, timestamp, window) => this.emit(tag, value, timestamp, windowsOf(window), NO_FIRING),
      metrics: this.metrics,
      bundleFinalizer: this.finalizations,
    };
  }
}

/** What a stateful DoFn's context carries besides the element: its key, state and timers. */
export interface StatefulBinding {
  readonly key: unknown;
  readonly state: unknown;
  readonly timers: unknown;
}

/** The ProcessContext implementation; mutable so synchronous calls can reuse one. */
class Context implements ProcessContext<unknown, OutputTags> {
  // Starts as a non-number so V8 keeps the field tagged: a double field would box a fresh
  // HeapNumber on every read that is passed on (an allocation per element output).
  timestamp: Instant = undefined as unknown as Instant;
  window!: BoundedWindow;
  windows!: readonly BoundedWindow[];
  pane: PaneInfo = NO_FIRING;
  /** Stateful DoFns only (StatefulProcessContext). */
  key: unknown;
  state: unknown;
  timers: unknown;
  constructor(private readonly op: DoFnOperation) {}
  get metrics(): MetricsContainer {
    return this.op.metrics;
  }
  get bundleFinalizer(): BundleFinalizations {
    return this.op.finalizations;
  }
  output(value: unknown): void {
    this.op.emitMain(value, this.timestamp, this.windows, this.pane);
  }
  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    if (timestamp < this.timestamp - this.op.allowedSkew) this.op.skewError(timestamp, this.timestamp);
    this.op.emit(undefined, value, timestamp, this.windows, this.pane);
  }
  outputTo(tag: string, value: unknown): void {
    this.op.emit(tag, value, this.timestamp, this.windows, this.pane);
  }
  sideInput<V>(view: PCollectionView<V>): V {
    return this.op.readSide(view, this.window);
  }
}

async function drain(values: AsyncIterable<unknown>, ctx: Context): Promise<void> {
  for await (const v of values) ctx.output(v);
}
