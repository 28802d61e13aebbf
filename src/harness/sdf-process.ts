import type { BoundedWindow, Coder, Duration, Instant, PaneInfo, WindowedValue } from "../model/index.js";
import { BufferWriter, exactMillis } from "../coders/index.js";
import { userCodeError, type DoFnOperation, type Operation } from "../runtime/index.js";
import {
  ForwardingRestrictionTracker,
  observesTimestamps,
  type ProcessContinuation,
  type RestrictionTracker,
  type SplitResult,
  type WatermarkEstimator,
} from "../transforms/index.js";
import type { BundleApplication, DelayedBundleApplication } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { IsBounded_Enum } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { sizedElement, unpackSized, type AnySdf } from "./sdf-elements.js";

/** Everything the process step of a splittable DoFn needs. */
export interface ProcessSizedElementsConfig {
  /** The splittable ParDo's full label (errors, metrics). */
  readonly label: string;
  readonly fn: AnySdf;
  /** Runs the DoFn instance (lifecycle, metrics, outputs); this operation calls its `process`. */
  readonly doFn: DoFnOperation;
  /** The process transform's id in the descriptor and its main input's local name. */
  readonly transformId: string;
  readonly inputId: string;
  /** The transform's local output names (their watermarks go with each residual). */
  readonly outputIds: readonly string[];
  /** How the runner encodes this step's input: residuals and split roots use it too. */
  readonly inputCoder: Coder<WindowedValue<unknown>>;
  /** A `process` call checkpoints itself after this many milliseconds (default 1000). */
  readonly checkpointAfterMillis?: number;
}

/** The halves of the element in process after a runner's split, as the Fn API reports them. */
export interface ElementSplit {
  readonly primary: BundleApplication;
  readonly residual: DelayedBundleApplication;
}

/** The element whose `process` call is running. */
interface InProgress {
  readonly element: unknown;
  readonly state: unknown;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
  readonly pane: PaneInfo;
  /** Only an element in a single window is split (the window is the unit the runner re-sends). */
  readonly soleWindow: boolean;
  readonly tracker: SelfCheckpointingTracker<unknown, unknown>;
  readonly estimator: WatermarkEstimator<unknown> | undefined;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as { then?: unknown }).then === "function";
}

/**
 * `beam:transform:sdf_process_sized_element_and_restrictions:v1`: processes each
 * KV(KV(element, KV(restriction, watermark state)), size) with a fresh tracker and
 * watermark estimator, one element at a time (the data input awaits `whenReady`). What a
 * call leaves undone becomes a residual of the bundle's response (Beam's
 * DelayedBundleApplication): after `ProcessContinuation.resume(delay)` (with that delay),
 * or when the call ran longer than `checkpointAfterMillis` (the tracker checkpoints itself
 * at the next claim, so the runner regains control and watermarks move). While a call is
 * running the runner may split its element (`splitCurrent`, from a ProcessBundleSplit).
 * Residuals carry the estimator's state and its watermark as the output watermark.
 */
export class ProcessSizedElementsOperation implements Operation {
  readonly label: string;
  private readonly queue: Array<[WindowedValue<unknown>, BoundedWindow]> = [];
  private running: Promise<void> | undefined;
  private current: InProgress | undefined;
  private failure: unknown;
  private residuals: DelayedBundleApplication[] = [];

  constructor(private readonly config: ProcessSizedElementsConfig) {
    this.label = config.label;
  }

  startBundle(): void {
    this.residuals = [];
    this.failure = undefined;
    this.queue.length = 0;
  }

  receive(wv: WindowedValue<unknown>): void {
    if (this.failure !== undefined) throw this.failure;
    for (const w of wv.windows) this.queue.push([wv, w]);
    if (this.running === undefined) this.pump();
  }

  /** Pending while a `process` call runs: the data input waits, so elements go one at a time. */
  whenReady(): Promise<void> | undefined {
    return this.running;
  }

  async finishBundle(): Promise<void> {
    while (this.running !== undefined) await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  /** The residuals of the bundle that finished (self-checkpoints and resumes). */
  takeResiduals(): DelayedBundleApplication[] {
    const r = this.residuals;
    this.residuals = [];
    return r;
  }

  /** The DoFn operation `process` runs on (its `finalizations` hold the bundle's callbacks). */
  get doFn(): DoFnOperation {
    return this.config.doFn;
  }

  /** How much of the element in process is done, in [0, 1]; undefined between elements. */
  currentProgress(): number | undefined {
    const cur = this.current;
    if (cur === undefined) return undefined;
    const p = cur.tracker.getProgress?.();
    if (p === undefined) return 0;
    const total = p.workCompleted + p.workRemaining;
    return total > 0 ? p.workCompleted / total : 0;
  }

  /**
   * Splits the element in process so that its call keeps `fractionOfRemainder` of the
   * work not yet claimed (the tracker's `trySplit`); undefined when it cannot be split.
   */
  splitCurrent(fractionOfRemainder: number): ElementSplit | undefined {
    const cur = this.current;
    if (cur === undefined || !cur.soleWindow || this.queue.length > 0) return undefined;
    let split: SplitResult<unknown> | undefined;
    try {
      split = cur.tracker.trySplit(fractionOfRemainder);
    } catch {
      return undefined; // a tracker that cannot split now: the runner gets "no split"
    }
    if (split === undefined) return undefined;
    const primary = sizedElement(this.config.fn, cur.element, split.primary, cur.state, cur);
    return {
      primary: this.application(primary, undefined, cur.tracker.isBounded()),
      residual: this.residualRoot(cur, split.residual, 0),
    };
  }

  /** Runs queued elements until one is asynchronous; that one continues the queue when it settles. */
  private pump(): void {
    while (this.queue.length > 0) {
      const [wv, window] = this.queue.shift()!;
      const pending = this.start(wv, window);
      if (pending !== undefined) {
        this.running = pending.then(
          () => {
            this.running = undefined;
            try {
              this.pump();
            } catch (err) {
              this.failure ??= err;
              this.queue.length = 0;
            }
          },
          (err: unknown) => {
            this.failure ??= err;
            this.queue.length = 0;
            this.running = undefined;
          },
        );
        return;
      }
    }
  }

  /** Calls `process` for one element in one window; a promise when the call is asynchronous. */
  private start(wv: WindowedValue<unknown>, window: BoundedWindow): Promise<void> | undefined {
    const { fn, doFn } = this.config;
    const { element, restriction, state } = unpackSized(wv.value);
    let cur: InProgress;
    try {
      const deadline = performance.now() + (this.config.checkpointAfterMillis ?? 1000);
      cur = {
        element,
        state,
        timestamp: wv.timestamp,
        window,
        pane: wv.pane,
        soleWindow: wv.windows.length === 1,
        tracker: new SelfCheckpointingTracker(fn.newTracker(element, restriction), deadline),
        estimator: fn.newWatermarkEstimator?.(state),
      };
    } catch (err) {
      throw userCodeError(this.label, err, element, window);
    }
    this.current = cur;
    let result: unknown;
    try {
      result = doFn.callProcess(element, this.context(cur), window);
    } catch (err) {
      this.current = undefined;
      throw err;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (continuation) => this.settle(cur, continuation),
        (err: unknown) => {
          this.current = undefined;
          throw err;
        },
      );
    }
    this.settle(cur, result);
    return undefined;
  }

  /** The splittable ProcessContext of one call (as the embedded runner builds it). */
  private context(cur: InProgress): object {
    const op = this.config.doFn;
    const windows = [cur.window];
    const estimator = cur.estimator;
    const observer = estimator !== undefined && observesTimestamps(estimator) ? estimator : undefined;
    const emit = (value: unknown, timestamp: Instant): void => {
      observer?.observeTimestamp(timestamp);
      op.emit(undefined, value, timestamp, windows, cur.pane);
    };
    return {
      timestamp: cur.timestamp,
      window: cur.window,
      pane: cur.pane,
      tracker: cur.tracker,
      watermarkEstimator: estimator,
      metrics: op.metrics,
      output: (value: unknown) => emit(value, cur.timestamp),
      outputWithTimestamp: emit,
      outputTo: (tag: string, value: unknown) => op.emit(tag, value, cur.timestamp, windows, cur.pane),
      sideInput: () => {
        throw new Error("side inputs are not supported on splittable DoFns yet.");
      },
      bundleFinalizer: op.finalizations,
      processingTime: Date.now(),
    };
  }

  /** After a call: a checkpoint or `resume` leaves a residual; otherwise the tracker must be done. */
  private settle(cur: InProgress, continuation: unknown): void {
    this.current = undefined;
    const resume = (continuation as ProcessContinuation | undefined)?.kind === "resume" ? (continuation as { delay: Duration }) : undefined;
    try {
      const split = cur.tracker.checkpointed ?? (resume !== undefined ? cur.tracker.trySplit(0) : undefined);
      if (split === undefined) {
        cur.tracker.checkDone();
        return;
      }
      this.residuals.push(this.residualRoot(cur, split.residual, resume?.delay ?? 0));
    } catch (err) {
      throw userCodeError(this.label, err, cur.element, cur.window);
    }
  }

  /** The rest of an element's work, with the estimator's state and watermark at this point. */
  private residualRoot(cur: InProgress, restriction: unknown, delay: Duration): DelayedBundleApplication {
    // As Beam: the watermark first, then the state (reading the watermark may update it).
    const watermark = cur.estimator?.currentWatermark();
    const state = cur.estimator !== undefined ? cur.estimator.getState() : cur.state;
    const wv = sizedElement(this.config.fn, cur.element, restriction, state, cur);
    return {
      application: this.application(wv, watermark, cur.tracker.isBounded()),
      requestedTimeDelay: delay > 0 ? { seconds: BigInt(Math.floor(delay / 1000)), nanos: Math.round((delay % 1000) * 1e6) } : undefined,
    };
  }

  private application(wv: WindowedValue<unknown>, watermark: Instant | undefined, bounded: boolean): BundleApplication {
    const writer = new BufferWriter();
    this.config.inputCoder.encode(wv, writer, true);
    const outputWatermarks: BundleApplication["outputWatermarks"] = {};
    if (watermark !== undefined) for (const id of this.config.outputIds) outputWatermarks[id] = protoTimestamp(watermark);
    return {
      transformId: this.config.transformId,
      inputId: this.config.inputId,
      element: Buffer.from(writer.finish()),
      outputWatermarks,
      isBounded: bounded ? IsBounded_Enum.BOUNDED : IsBounded_Enum.UNBOUNDED,
    };
  }
}

/** An instant as google.protobuf.Timestamp, with Beam's exact extremes. */
function protoTimestamp(t: Instant): { seconds: bigint; nanos: number } {
  const ms = exactMillis(t);
  let seconds = ms / 1000n;
  let rest = ms % 1000n;
  if (rest < 0n) {
    seconds -= 1n;
    rest += 1000n;
  }
  return { seconds, nanos: Number(rest) * 1_000_000 };
}

/**
 * A tracker that checkpoints itself once `process` has run past `deadline` and claimed
 * something: the next claim first splits at fraction 0, so it fails and the rest becomes a
 * residual. (A synchronous `process` holds the event loop, so a runner's split request
 * could not reach it.)
 */
class SelfCheckpointingTracker<R, P> extends ForwardingRestrictionTracker<R, P> {
  checkpointed: SplitResult<R> | undefined;
  private expired = false;
  private claimed = false;

  constructor(
    inner: RestrictionTracker<R, P>,
    private readonly deadline: number,
  ) {
    super(inner);
  }

  override tryClaim(position: P): boolean {
    // Only after a successful claim, so every call makes progress however slow its start.
    if (this.claimed && !this.expired && performance.now() > this.deadline) {
      this.expired = true;
      this.checkpointed = this.inner.trySplit(0);
    }
    const claimed = this.inner.tryClaim(position);
    this.claimed ||= claimed;
    return claimed;
  }
}
