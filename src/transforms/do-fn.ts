import type { BoundedWindow, Instant, PaneInfo } from "../model/index.js";
import type { PCollectionView } from "./side-input-view.js";

/** Metrics a DoFn can report, bound to the transform that runs it. */
export interface DoFnMetrics {
  counter(namespace: string, name: string): { inc(n?: number): void; dec(n?: number): void };
  distribution(namespace: string, name: string): { update(value: number): void };
  gauge(namespace: string, name: string): { set(value: number): void };
  stringSet(namespace: string, name: string): { add(...values: string[]): void };
}

/** A callback run once a bundle's output is committed (Beam's `BundleFinalizer.Callback`). */
export type BundleFinalizationCallback = () => void | Promise<void>;

/**
 * Beam's BundleFinalizer: how a DoFn asks to be told that the bundle it is processing has
 * been committed, e.g. to acknowledge the messages it read or commit a consumer offset
 * only once what it output can no longer be lost.
 *
 * Finalization is best effort, as in Beam: a callback runs at most once, after the bundle's
 * output is committed, and never for an attempt that failed (a retried bundle registers
 * its callbacks again); one whose `expiry` has passed by then is dropped; one that throws
 * is reported (a `BeamFinalizationWarning` on the embedded runner) and the job goes on. The
 * external system must therefore recover by itself when a callback never runs (a queue
 * redelivers an unacknowledged message after its own timeout). Callbacks of a bundle run
 * one after another, in registration order, and are awaited. They must not use the DoFn
 * instance's mutable state: the instance may be processing the next bundle by then.
 *
 * @example
 * const ackAfterCommit: DoFn<Message, string> = {
 *   process(message, ctx) {
 *     ctx.output(message.body);
 *     ctx.bundleFinalizer.afterBundleCommit(Date.now() + 60_000, () => queue.ack(message.id));
 *   },
 * };
 */
export interface BundleFinalizer {
  /**
   * Registers `callback` to run after the current bundle is committed, unless that happens
   * after `expiry` (milliseconds since the epoch, wall-clock time).
   */
  afterBundleCommit(expiry: Instant, callback: BundleFinalizationCallback, recovery?: Uint8Array): void;
  /**
   * True when the runner runs every callback of a committed bundle, and with checkpoints
   * only once a checkpoint covering the bundle is durable (the embedded runner). False
   * where callbacks may never run (portable runners finalize only some stages): a sink
   * whose data becomes visible in a callback must then make it visible in finishBundle.
   *
   * A callback registered with `recovery` bytes is also durable: the checkpoint that covers
   * its bundle stores the bytes, and a job restored from that checkpoint calls the DoFn's
   * `recoverCommit(recovery)` (before its first bundle) in case the process died before the
   * callback ran. Two-phase sinks (`twoPhaseCommitWrite`) are built on this.
   */
  readonly finalizesReliably?: boolean;
}

/** Tagged (additional) outputs of a DoFn: tag name to element type. */
export type OutputTags = Record<string, unknown>;

/**
 * What `process` can see and do for the element it is given. For a synchronous DoFn the
 * context object is reused between elements: do not keep it after `process` returns.
 */
export interface ProcessContext<Out, Tags extends OutputTags = Record<never, never>> {
  /** The element's event timestamp. */
  readonly timestamp: Instant;
  /** The window being processed; an element in several windows is processed once per window. */
  readonly window: BoundedWindow;
  /** The pane that produced the element. */
  readonly pane: PaneInfo;
  /** Emits to the main output, at the input's timestamp and window. */
  output(value: Out): void;
  /** Emits to the main output at another timestamp (not earlier than the input's, unless allowed). */
  outputWithTimestamp(value: Out, timestamp: Instant): void;
  /** Emits to a tagged output declared in `parDo(fn, { outputs: [...] })`. */
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K]): void;
  /** Reads a side input declared in `parDo(fn, { sideInputs: [...] })`, for this window. */
  sideInput<V>(view: PCollectionView<V>): V;
  /** Metrics of this transform. */
  readonly metrics: DoFnMetrics;
  /** Callbacks to run once this bundle is committed (acknowledging the input, say). */
  readonly bundleFinalizer: BundleFinalizer;
}

/**
 * Which of a job's executors runs a DoFn instance (Flink's subtask index): `index` in
 * [0, count). On the embedded runner it is the executor of `--parallelism` that runs the
 * instance, and a job restored from a checkpoint (which needs the same parallelism) gives
 * each executor the same index again, with its own part of the checkpoint: a DoFn can name
 * external resources after it (transactional ids) and find them again after a restore.
 */
export interface ExecutorIdentity {
  readonly index: number;
  readonly count: number;
}

/** What `startBundle` can see. */
export interface StartBundleContext {
  readonly metrics: DoFnMetrics;
  /** The executor running this instance; undefined where the runner does not tell (portable runners). */
  readonly executor?: ExecutorIdentity;
  /** Callbacks to run once this bundle is committed (Beam allows them in @StartBundle too). */
  readonly bundleFinalizer: BundleFinalizer;
}

/** What `finishBundle` can do: emit with an explicit timestamp and window, as in Beam. */
export interface FinishBundleContext<Out, Tags extends OutputTags = Record<never, never>> {
  output(value: Out, timestamp: Instant, window: BoundedWindow): void;
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K], timestamp: Instant, window: BoundedWindow): void;
  readonly metrics: DoFnMetrics;
  /** Callbacks to run once this bundle is committed (Beam allows them in @FinishBundle too). */
  readonly bundleFinalizer: BundleFinalizer;
}

/**
 * Beam's DoFn: per-element processing with a lifecycle. A runner calls `setup` once per
 * instance, then for each bundle `startBundle`, `process` per element and window, and
 * `finishBundle`, and finally `teardown` (also after a failure). `process` may be async:
 * return a promise, or an async iterable of outputs; the runner keeps a bounded number of
 * such calls in flight per bundle (`maxConcurrency`).
 *
 * Runners work on shallow copies of the DoFn object made before `setup`, so per-instance
 * state belongs in fields initialised by `setup` or `startBundle`.
 *
 * @example
 * const parse: DoFn<string, Order> = {
 *   process(line, ctx) {
 *     const order = JSON.parse(line) as Order;
 *     if (order.amount > 0) ctx.output(order);
 *   },
 * };
 */
export interface DoFn<In, Out, Tags extends OutputTags = Record<never, never>> {
  setup?(): void | Promise<void>;
  startBundle?(ctx: StartBundleContext): void | Promise<void>;
  process(element: In, ctx: ProcessContext<Out, Tags>): void | Promise<void> | AsyncIterable<Out>;
  finishBundle?(ctx: FinishBundleContext<Out, Tags>): void | Promise<void>;
  teardown?(): void | Promise<void>;
  /**
   * Called (after `setup`, before any bundle) by a job restored from a checkpoint, once per
   * finalization callback this step registered with `recovery` bytes in a bundle that the
   * checkpoint covers: the process may have died before the callback ran, so it must be
   * idempotent (commit what is not committed yet). See BundleFinalizer.finalizesReliably.
   */
  recoverCommit?(recovery: Uint8Array): void | Promise<void>;
}
