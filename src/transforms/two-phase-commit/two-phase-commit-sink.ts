import type { BoundedWindow, Coder, Instant, PaneInfo } from "../../model/index.js";
import type { DoFnMetrics, ExecutorIdentity } from "../do-fn.js";

/** What `begin` can see: the bundle about to start. */
export interface TwoPhaseBeginContext {
  readonly metrics: DoFnMetrics;
  /**
   * The executor writing this bundle (see StartBundleContext.executor): a sink whose
   * transaction names must not collide between executors, and must be found again by a
   * restored job, puts its index in them. Undefined where the runner does not tell.
   */
  readonly executor?: ExecutorIdentity;
}

/** What `write` can see and do for one element. */
export interface TwoPhaseWriteContext<Out> {
  readonly timestamp: Instant;
  /** The element's window (an element in several windows is written once per window). */
  readonly window: BoundedWindow;
  /** The pane that produced the element, e.g. the firing of a GroupByKey before the sink. */
  readonly pane: PaneInfo;
  readonly metrics: DoFnMetrics;
  /**
   * Emits what the element becomes once committed (a file's final name, a row's key), in
   * the element's window. It goes downstream when the bundle commits, which may be before
   * the sink's `commit` has run: see `twoPhaseCommitWrite`.
   */
  output(value: Out): void;
}

/**
 * A sink that makes its output visible in two phases, so that a bundle's writes become
 * visible exactly once even when the bundle is retried or the job restarts from a
 * checkpoint. Flink's TwoPhaseCommitSinkFunction, with Beam's bundle (the unit that
 * commits or is retried) in place of Flink's checkpoint interval:
 *
 * - `begin` at the start of every bundle attempt opens a transaction;
 * - `write` adds one element to it;
 * - `preCommit` at the end of the bundle makes the transaction durable (it survives a
 *   crash) but not yet visible, and returns a handle naming it;
 * - `commit(handle)` makes it visible. It runs once the bundle is committed and, on a
 *   runner with checkpoints, once a checkpoint covering the bundle is durable; a job
 *   restored from that checkpoint runs it again with the handle decoded by `handleCoder`
 *   (the first run may have been cut short), so it MUST be idempotent;
 * - `abort(txn)` discards a transaction whose bundle attempt failed before `preCommit`
 *   returned (the retry begins a new one);
 * - `teardown()`, optional, when the DoFn instance is discarded.
 *
 * A handle that was pre-committed but never committed (its bundle failed after the sink,
 * or the job died before the checkpoint covering it) is neither aborted nor committed:
 * the sink tidies such leftovers itself (the file sink removes them when the same output
 * is committed again, see docs/IO.md).
 *
 * @example
 * // Rows staged under a transaction id, moved into the table by an idempotent commit.
 * const sink: TwoPhaseCommitSink<Order, { id: string; rows: Order[] }, string> = {
 *   handleCoder: stringUtf8Coder,
 *   begin: () => ({ id: randomUUID(), rows: [] }),
 *   write: (txn, order) => void txn.rows.push(order),
 *   preCommit: async (txn) => (await db.stage(txn.id, txn.rows), txn.id),
 *   commit: (id) => db.publishStaged(id), // a no-op when already published
 *   abort: () => undefined, // nothing staged before preCommit
 * };
 * orders.apply(twoPhaseCommitWrite(sink));
 */
export interface TwoPhaseCommitSink<T, Txn, Handle, Out = never> {
  /** Encodes a pre-committed handle into the checkpoint, for `commit` after a restore. */
  readonly handleCoder: Coder<Handle>;
  /** Coder of what `write` outputs; needed only when it outputs. */
  readonly outputCoder?: Coder<Out>;
  begin(ctx: TwoPhaseBeginContext): Txn | Promise<Txn>;
  write(txn: Txn, element: T, ctx: TwoPhaseWriteContext<Out>): void | Promise<void>;
  preCommit(txn: Txn): Handle | Promise<Handle>;
  commit(handle: Handle): void | Promise<void>;
  abort(txn: Txn): void | Promise<void>;
  /**
   * Releases what the sink holds (connections, an empty temporary directory) when the
   * runner discards the DoFn instance: after a failure, or at the end of the job. Handles
   * awaiting their commit may still exist then; they must stay committable.
   */
  teardown?(): void | Promise<void>;
}
