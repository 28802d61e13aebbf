import { isDeepStrictEqual } from "node:util";
import type { BoundedWindow, ByteReader, ByteWriter, Instant, WindowedValue } from "../../model/index.js";
import { BeamError, MAX_TIMESTAMP, describeValue } from "../../model/index.js";
import type { DoFnOperation, Operation } from "../../runtime/index.js";
import {
  ForwardingRestrictionTracker,
  observesTimestamps,
  type PCollectionView,
  type ProcessContinuation,
  type RestrictionTracker,
  type SplitResult,
  type SplittableDoFn,
  type WatermarkEstimator,
} from "../../transforms/index.js";
import type { Stage, StepContext } from "./stage.js";
import { mergedWatermark, type RestoreShare } from "./checkpoint/rescale.js";
import type { SnapshotCoders } from "./checkpoint/snapshot-coders.js";
import { readSplittableState, writeSplittableState, type WorkItem } from "./splittable-snapshot.js";

type AnySdf = SplittableDoFn<unknown, unknown, unknown, unknown>;

/** Checkpoints in a row without progress after which a splittable DoFn fails (it would loop for ever). */
const MAX_STALLS = 3;

/** Settings of splittable execution. */
export interface SplittableSettings {
  /** Pieces `splitRestriction` is asked for, per element. */
  readonly desiredChunks: number;
  /** A `process` call is checkpointed after this many claims... */
  readonly maxClaims: number;
  /** ...or this many milliseconds, so other work and watermarks move on. */
  readonly maxMillis: number;
  /** In a parallel job: how the executors share each element's pieces. */
  readonly sharing?: PieceSharing;
}

/** How the executors of a parallel job share the pieces of a splittable DoFn's elements. */
export interface PieceSharing {
  /**
   * The pieces of one element (of `pieceCount`) this executor runs. `onDemand`: every piece
   * is bounded, so pieces may be taken one at a time as executors run out of work;
   * otherwise (unbounded pieces run forever) each executor's share is fixed up front.
   */
  share(element: unknown, timestamp: Instant, window: BoundedWindow, pieceCount: number, onDemand: boolean): SharedPieces;
}

/** One element's pieces as an executor of a parallel job gets them. */
export interface SharedPieces {
  /** True when pieces are taken on demand (one at a time), false for a fixed share. */
  readonly onDemand: boolean;
  /** The index of the next piece this executor runs, or undefined when none is left for it. */
  next(): number | undefined;
}

/** An element whose pieces are taken on demand, with those not taken yet. */
interface PendingPieces {
  readonly wv: WindowedValue<unknown>;
  readonly pieces: readonly unknown[];
  readonly shared: SharedPieces;
  /** The lowest initial watermark of its pieces: what they hold until taken. */
  readonly watermark: Instant;
}

/**
 * Runs a splittable DoFn (Beam's SplittableParDo, as a runner executes it): each input
 * element gets its initial restriction, split into pieces (`splitRestriction`); every piece
 * is a work item processed in a bundle of its own with a fresh tracker. A `process` call is
 * checkpointed after a budget of claims or time (the tracker is split at fraction 0, so the
 * next claim fails and the rest becomes a residual), or when it returns `resume(delay)`;
 * residuals are queued to run again (after the delay), which is how unbounded sources run.
 * The stage's output watermark is held by its pending work: each item's watermark
 * estimator, or its element's timestamp when the DoFn has none. On drain, pending work is
 * truncated (`truncateRestriction`; by default bounded work is kept, unbounded dropped).
 */
export class SplittableStage implements Stage {
  readonly isSource = false;
  readonly idle = false;
  readonly reads: readonly string[];
  readonly entryPc = undefined;
  readonly entry: SplittableEntry;
  /** Input elements waiting, one window each. */
  buffer: WindowedValue<unknown>[] = [];
  private queue: WorkItem[] = [];
  /** Elements (parallel jobs) whose bounded pieces are taken one at a time, when idle. */
  private pending: PendingPieces[] = [];
  private inputWatermark: Instant = -Infinity;
  private output: Instant = -Infinity;
  private drained = false;
  /** Sum of the sizes (`getSize`) of every piece split so far: progress's total. */
  private totalSize = 0;

  constructor(
    readonly label: string,
    input: string,
    op: DoFnOperation,
    private readonly fn: AnySdf,
    private readonly settings: SplittableSettings,
  ) {
    this.reads = [input];
    this.entry = new SplittableEntry(label, op, fn, settings, this);
  }

  async step(ctx: StepContext): Promise<boolean> {
    this.inputWatermark = ctx.inputWatermark;
    let did = false;
    if (this.buffer.length > 0) {
      const elements = this.buffer;
      this.buffer = [];
      for (const wv of elements) this.queue.push(...this.initialWork(wv, ctx.now));
      did = true;
    }
    if (ctx.draining && !this.drained) {
      this.drained = true;
      while (this.takePiece(ctx.now));
      this.queue = this.queue.flatMap((w) => this.truncate(w));
      did = true;
    }
    // One piece taken on demand at a time: the next when the last one ends, so an executor
    // that is slower or started later leaves more to the others.
    if (this.pending.length > 0 && !this.queue.some((w) => w.onDemand)) {
      this.takePiece(ctx.now);
      did = true;
    }
    // Run each item that is due once per step (residuals wait for the next step), so other
    // stages and watermarks move between checkpoints.
    const due = this.queue.filter((w) => w.notBefore <= ctx.now || this.drained);
    if (due.length === 0) return did;
    this.queue = this.queue.filter((w) => !(w.notBefore <= ctx.now || this.drained));
    for (const w of due) {
      this.entry.current = w;
      this.entry.now = ctx.now;
      await ctx.emit([{ value: w, timestamp: w.timestamp, windows: [w.window], pane: w.pane }]);
    }
    return true;
  }

  private initialWork(wv: WindowedValue<unknown>, now: Instant): WorkItem[] {
    const fn = this.fn;
    const element = wv.value;
    const initial = this.callUser("getInitialRestriction", () => fn.getInitialRestriction(element));
    const pieces = fn.splitRestriction
      ? [...this.callUser("splitRestriction", () => fn.splitRestriction!(element, initial, this.settings.desiredChunks))]
      : [initial];
    if (fn.getSize !== undefined) for (const r of pieces) this.totalSize += this.sizeOf(element, r);
    const sharing = this.settings.sharing;
    if (sharing === undefined) return pieces.map((r) => this.workItem(wv, r, now, false));
    const bounded = pieces.every((r) => fn.newTracker(element, r).isBounded());
    const shared = sharing.share(element, wv.timestamp, wv.windows[0]!, pieces.length, bounded);
    if (shared.onDemand) {
      let watermark = Infinity;
      for (const r of pieces) watermark = Math.min(watermark, this.initialWatermark(fn.getInitialWatermarkState?.(element, r), wv.timestamp));
      this.pending.push({ wv, pieces, shared, watermark });
      return [];
    }
    const mine: WorkItem[] = [];
    for (let j = shared.next(); j !== undefined; j = shared.next()) mine.push(this.workItem(wv, pieces[j], now, false));
    return mine;
  }

  /** Takes the next piece left of the elements shared on demand; false when none is left. */
  private takePiece(now: Instant): boolean {
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      const j = p.shared.next();
      if (j !== undefined) {
        this.queue.push(this.workItem(p.wv, p.pieces[j], now, true));
        return true;
      }
      this.pending.shift();
    }
    return false;
  }

  private workItem(wv: WindowedValue<unknown>, restriction: unknown, now: Instant, onDemand: boolean): WorkItem {
    const watermarkState = this.fn.getInitialWatermarkState?.(wv.value, restriction);
    return {
      element: wv.value,
      timestamp: wv.timestamp,
      window: wv.windows[0]!,
      pane: wv.pane,
      restriction,
      watermarkState,
      watermark: this.initialWatermark(watermarkState, wv.timestamp),
      notBefore: now,
      onDemand,
    };
  }

  private initialWatermark(state: unknown, timestamp: Instant): Instant {
    if (this.fn.newWatermarkEstimator === undefined) return timestamp;
    return this.fn.newWatermarkEstimator(state).currentWatermark();
  }

  private truncate(w: WorkItem): WorkItem[] {
    const fn = this.fn;
    if (fn.truncateRestriction !== undefined) {
      const r = this.callUser("truncateRestriction", () => fn.truncateRestriction!(w.element, w.restriction));
      return r === undefined ? [] : [{ ...w, restriction: r }];
    }
    const bounded = fn.newTracker(w.element, w.restriction).isBounded();
    return bounded ? [w] : [];
  }

  /** @internal a committed bundle's residual. */
  requeue(w: WorkItem): void {
    this.queue.push(w);
  }

  private callUser<R>(what: string, f: () => R): R {
    try {
      return f();
    } catch (err) {
      throw new Error(`Transform "${this.label}" failed in ${what}: ${String(err)}`, { cause: err });
    }
  }

  outputWatermark(inputWatermark: Instant): Instant {
    let wm = inputWatermark;
    for (const wv of this.buffer) if (wv.timestamp < wm) wm = wv.timestamp;
    for (const w of this.queue) if (w.watermark < wm) wm = w.watermark;
    for (const p of this.pending) if (p.watermark < wm) wm = p.watermark;
    const running = this.entry.current;
    if (running !== undefined && running.watermark < wm) wm = running.watermark;
    this.output = Math.max(this.output, wm);
    return this.output;
  }

  /**
   * Restriction work done and left, by `getSize` (bytes of a file, offsets of a range): the
   * pieces split so far, less the size of those queued, untaken, or running. Undefined
   * without `getSize`, or once a size is infinite (an unbounded restriction).
   */
  progress(): { readonly completed: number; readonly remaining: number } | undefined {
    const fn = this.fn;
    if (fn.getSize === undefined) return undefined;
    let remaining = 0;
    for (const w of this.queue) remaining += this.sizeOf(w.element, w.restriction);
    for (const p of this.pending) remaining += p.pieces.reduce<number>((n, r) => n + this.sizeOf(p.wv.value, r), 0);
    const running = this.entry.current;
    if (running !== undefined) remaining += this.sizeOf(running.element, running.restriction);
    if (!Number.isFinite(remaining) || !Number.isFinite(this.totalSize)) return undefined;
    // Residuals of a parallel job's shared pieces count on every executor: clamp at the total.
    return { completed: Math.max(0, this.totalSize - remaining), remaining };
  }

  /** A restriction's size; 0 when `getSize` throws (progress must never fail the job). */
  private sizeOf(element: unknown, restriction: unknown): number {
    try {
      return this.fn.getSize!(element, restriction);
    } catch {
      return 0;
    }
  }

  nextWakeup(): Instant {
    let t = Infinity;
    for (const w of this.queue) t = Math.min(t, w.notBefore);
    return t;
  }

  get done(): boolean {
    return this.inputWatermark >= MAX_TIMESTAMP && this.buffer.length === 0 && this.queue.length === 0 && this.pending.length === 0;
  }

  /** Writes the buffer, the work queue and the watermarks (layout in splittable-snapshot.ts). */
  snapshot(out: ByteWriter, coders: SnapshotCoders): void {
    if (this.pending.length > 0) {
      // The claims table is job-wide: untaken pieces belong to no executor's snapshot.
      throw new BeamError(
        "INTERNAL",
        `Splittable DoFn "${this.label}" has pieces shared on demand, which a checkpoint cannot hold; a job with checkpoints must share pieces in fixed shares (pieceSharing's fixedShares).`,
      );
    }
    if (this.entry.current !== undefined) throw new BeamError("INTERNAL", `Splittable DoFn "${this.label}" was snapshotted while a work item ran.`);
    const { inputWatermark, output, drained, buffer, queue } = this;
    writeSplittableState(out, coders, this.label, this.reads[0]!, { inputWatermark, output, drained, buffer, queue });
  }

  /**
   * With `share` (another --parallelism), merges one old part: its work items are dealt out
   * one by one (a piece's restriction and watermark estimator state run wherever it lands);
   * the input not yet split is broadcast, so it is taken from part 0 (the executor has
   * checked that every part waits for the same elements: rescale.ts checkBroadcastInputs);
   * the watermarks are the minimum, and the stage is drained only if every part was.
   */
  restore(input: ByteReader, coders: SnapshotCoders, _migrate: readonly string[] = [], _drop: readonly string[] = [], share?: RestoreShare): void {
    const state = readSplittableState(input, coders, this.label, this.reads[0]!);
    this.inputWatermark = mergedWatermark(share, this.inputWatermark, state.inputWatermark);
    this.output = mergedWatermark(share, this.output, state.output);
    if (share === undefined || share.first) {
      this.drained = state.drained;
      this.buffer = [...state.buffer];
      this.queue = share === undefined ? [...state.queue] : state.queue.filter((_, n) => share.dealt(n));
      return;
    }
    this.drained &&= state.drained;
    this.queue.push(...state.queue.filter((_, n) => share.dealt(n)));
  }
}

/**
 * Runs one work item per bundle: builds the tracker (with the checkpoint budget) and the
 * context, calls `process`, and on finishBundle turns the continuation into a residual,
 * which is queued only when the bundle commits (a retried bundle starts from the item).
 */
export class SplittableEntry implements Operation {
  current: WorkItem | undefined;
  /** The runner's processing time at the current step. */
  now: Instant = 0;
  private running: Promise<void> | undefined;
  private residual: WorkItem | undefined;

  constructor(
    readonly label: string,
    readonly op: DoFnOperation,
    private readonly fn: AnySdf,
    private readonly settings: SplittableSettings,
    private readonly stage: SplittableStage,
  ) {}

  async startBundle(): Promise<void> {
    this.residual = undefined;
    await this.op.startBundle();
  }

  receive(wv: WindowedValue<unknown>): void {
    const w = wv.value as WorkItem;
    const fn = this.fn;
    const tracker = new CheckpointingTracker(fn.newTracker(w.element, w.restriction), this.settings);
    const estimator = fn.newWatermarkEstimator?.(w.watermarkState);
    const op = this.op;
    const observe = estimator !== undefined && observesTimestamps(estimator) ? estimator : undefined;
    const emit = (value: unknown, timestamp: Instant) => {
      observe?.observeTimestamp(timestamp);
      op.emit(undefined, value, timestamp, [w.window], w.pane);
    };
    const ctx = {
      timestamp: w.timestamp,
      window: w.window,
      pane: w.pane,
      tracker,
      watermarkEstimator: estimator,
      metrics: op.metrics,
      output: (value: unknown) => emit(value, w.timestamp),
      outputWithTimestamp: (value: unknown, timestamp: Instant) => emit(value, timestamp),
      outputTo: (tag: string, value: unknown) => op.emit(tag, value, w.timestamp, [w.window], w.pane),
      sideInput: (view: PCollectionView<unknown>) => {
        throw new Error(`side inputs are not supported on splittable DoFns yet (reading ${view.toString()}).`);
      },
      // The executor runs the bundle's callbacks once it has committed (bundle-finalization.ts).
      bundleFinalizer: op.finalizations,
      processingTime: this.now,
    };
    const result = op.callProcess(w.element, ctx, w.window);
    const settle = (continuation: unknown) => this.settle(w, tracker, estimator, continuation as ProcessContinuation | undefined);
    if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
      this.running = (result as Promise<unknown>).then(settle);
    } else settle(result);
  }

  private settle(
    w: WorkItem,
    tracker: CheckpointingTracker<unknown, unknown>,
    estimator: WatermarkEstimator<unknown> | undefined,
    continuation: ProcessContinuation | undefined,
  ): void {
    let split: SplitResult<unknown> | undefined = tracker.checkpointed;
    let delay = 0;
    if (split === undefined && continuation?.kind === "resume") {
      split = tracker.trySplit(0);
      delay = continuation.delay;
    }
    if (split === undefined) {
      tracker.checkDone();
      return;
    }
    // The runner's checkpoint comes after a successful claim, so its residual is smaller
    // than the restriction; a tracker whose trySplit(0) gives the whole restriction back
    // would make the runner process it for ever. (A resume(delay) without progress is a
    // source polling for data, as Beam allows.)
    const stalls = split === tracker.checkpointed && isDeepStrictEqual(split.residual, w.restriction) ? (w.stalls ?? 0) + 1 : 0;
    if (stalls >= MAX_STALLS) {
      throw new BeamError(
        "SDF_NO_PROGRESS",
        `Splittable DoFn "${this.label}" made no progress: its tracker's trySplit(0) returned the whole restriction ` +
          `${describeValue(w.restriction)} as the residual at ${MAX_STALLS} checkpoints in a row, so it would be processed for ever. ` +
          `A checkpoint (trySplit(0)) must keep the claimed positions in the primary and return only the unclaimed rest.`,
      );
    }
    const watermark = estimator?.currentWatermark() ?? w.timestamp;
    this.residual = {
      ...w,
      stalls,
      restriction: split.residual,
      watermarkState: estimator?.getState() ?? w.watermarkState,
      watermark: Math.max(watermark, w.watermark),
      notBefore: this.now + delay,
    };
  }

  async finishBundle(): Promise<void> {
    if (this.running !== undefined) {
      const running = this.running;
      this.running = undefined;
      await running;
    }
    await this.op.finishBundle();
  }

  commit(): void {
    this.stage.entry.current = undefined;
    if (this.residual !== undefined) this.stage.requeue(this.residual);
    this.residual = undefined;
  }

  abort(): void {
    this.residual = undefined;
  }

  teardown(): Promise<void> {
    return this.op.teardown();
  }
}

/**
 * A tracker that checkpoints itself: once `process` has claimed `maxClaims` positions or
 * run `maxMillis`, the claim that reaches the budget is followed by a split at fraction 0
 * (Beam's checkpoint), so the next claim fails and `process` returns with the rest as a
 * residual. The split comes after a successful claim, never before the first: a call whose
 * first claim comes late (a text line of 50 MB read before its offset is claimed) still
 * processes that position, instead of handing the whole restriction back for ever.
 */
const MAX_CLOCK_STRIDE = 64;

class CheckpointingTracker<R, P> extends ForwardingRestrictionTracker<R, P> {
  checkpointed: SplitResult<R> | undefined;
  private claims = 0;
  private readonly deadline: number;
  private lastClock: number;
  private nextClock = 1;
  private stride = 1;

  constructor(
    inner: RestrictionTracker<R, P>,
    private readonly settings: SplittableSettings,
  ) {
    super(inner);
    this.lastClock = performance.now();
    this.deadline = this.lastClock + settings.maxMillis;
  }

  override tryClaim(position: P): boolean {
    if (!this.inner.tryClaim(position)) return false;
    const claims = ++this.claims;
    if (this.checkpointed === undefined && (claims >= this.settings.maxClaims || (claims >= this.nextClock && this.pastDeadline(claims)))) {
      this.checkpointed = this.inner.trySplit(0);
    }
    return true;
  }

  /**
   * Reads the clock, then decides when to read it next. Reading it on every claim cost 3% of
   * a fast source's time, so while claims are quick the stride doubles (up to 64 claims); a
   * stride that took more than 1/16 of maxMillis drops it back to 1, so a slow source still
   * checkpoints within about maxMillis.
   */
  private pastDeadline(claims: number): boolean {
    const now = performance.now();
    if (now > this.deadline) return true;
    this.stride = now - this.lastClock < this.settings.maxMillis / 16 ? Math.min(this.stride * 2, MAX_CLOCK_STRIDE) : 1;
    this.lastClock = now;
    this.nextClock = claims + this.stride;
    return false;
  }
}
