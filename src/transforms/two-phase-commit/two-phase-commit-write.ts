import { decodeFromBytes, encodeToBytes } from "../../coders/index.js";
import { BeamError, ConstructionError, MAX_TIMESTAMP } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import type { DoFn, FinishBundleContext, ProcessContext, StartBundleContext } from "../do-fn.js";
import { parDo } from "../par-do.js";
import type { TwoPhaseCommitSink, TwoPhaseWriteContext } from "./two-phase-commit-sink.js";

/**
 * The expiry of a commit callback: never. A commit that was pre-committed must run
 * however long the checkpoint covering its bundle takes; dropping it would lose the data.
 */
const NEVER = MAX_TIMESTAMP;

/** Boxed so that a sink whose transactions are `undefined` still has one open. */
interface OpenTxn<Txn> {
  readonly txn: Txn;
}

/**
 * The DoFn of `twoPhaseCommitWrite`: one transaction per bundle attempt. The DoFn has no
 * failure hook, so a transaction left open by a failed attempt (`open` still set) is
 * aborted by whatever comes next on this instance: the next `startBundle` if the runner
 * keeps it, or `teardown` (the embedded runner discards an instance after a failure).
 */
export class TwoPhaseCommitDoFn<T, Txn, Handle, Out> implements DoFn<T, Out> {
  private open: OpenTxn<Txn> | undefined;

  constructor(readonly sink: TwoPhaseCommitSink<T, Txn, Handle, Out>) {}

  async startBundle(ctx: StartBundleContext): Promise<void> {
    await this.abortOpen();
    this.open = { txn: await this.sink.begin(ctx.executor === undefined ? { metrics: ctx.metrics } : { metrics: ctx.metrics, executor: ctx.executor }) };
  }

  process(element: T, ctx: ProcessContext<Out>): void | Promise<void> {
    const open = this.open;
    if (open === undefined) throw new BeamError("INTERNAL", "twoPhaseCommitWrite got an element outside a bundle (no startBundle).");
    const writeCtx: TwoPhaseWriteContext<Out> = {
      timestamp: ctx.timestamp,
      window: ctx.window,
      pane: ctx.pane,
      metrics: ctx.metrics,
      output: (value) => ctx.output(value),
    };
    return this.sink.write(open.txn, element, writeCtx);
  }

  async finishBundle(ctx: FinishBundleContext<Out>): Promise<void> {
    const open = this.open;
    if (open === undefined) return;
    // Still open while preCommit runs: if it fails, the next startBundle or teardown aborts.
    const handle = await this.sink.preCommit(open.txn);
    this.open = undefined;
    const { sink } = this;
    const finalizer = ctx.bundleFinalizer;
    if (finalizer.finalizesReliably === true) {
      // Visible only after the bundle (and the checkpoint covering it) is committed: a retried
      // or replayed bundle never shows its data twice. The bytes let a restored job commit it.
      finalizer.afterBundleCommit(NEVER, () => sink.commit(handle), encodeToBytes(sink.handleCoder, handle));
    } else {
      // The runner may never run the callback: commit now, before the bundle commits. A bundle
      // that fails after this point and is retried writes its data again (at-least-once).
      await sink.commit(handle);
    }
  }

  async teardown(): Promise<void> {
    try {
      await this.abortOpen();
    } finally {
      await this.sink.teardown?.();
    }
  }

  /** A restored job's commit of a handle pre-committed before the crash: commit is idempotent. */
  async recoverCommit(recovery: Uint8Array): Promise<void> {
    await this.sink.commit(decodeFromBytes(this.sink.handleCoder, recovery));
  }

  private async abortOpen(): Promise<void> {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    await this.sink.abort(open.txn);
  }
}

/**
 * Writes every element through a two-phase commit sink (`TwoPhaseCommitSink`): one
 * transaction per bundle, pre-committed when the bundle finishes and committed after it.
 * Outputs what the sink's `write` emits (nothing unless it does; give it `outputCoder`).
 *
 * Guarantees. On a runner that finalizes reliably (the embedded runner) the commit runs
 * after the bundle is committed and, with checkpoints, after a checkpoint covering it is
 * durable; a job restored from that checkpoint commits the handles it holds again (hence
 * idempotent commits). Together with a replay that recomputes the same transactions
 * (deterministic names, keys or ids in the sink) the output is exactly-once. On a runner
 * that may skip finalization (portable runners) the commit runs at the end of the bundle,
 * before the bundle commits: a bundle retried after that writes again (at-least-once), and
 * only idempotent writes make it exactly-once.
 *
 * The outputs go downstream when the bundle commits, which may be before the commit has
 * run: a step that must see the committed data should not rely on them for that.
 *
 * Elements of a bundle are written one at a time, in order (`maxConcurrency` 1).
 *
 * @example files.apply(twoPhaseCommitWrite(myTransactionalSink))
 */
export function twoPhaseCommitWrite<T, Txn, Handle, Out = never>(
  sink: TwoPhaseCommitSink<T, Txn, Handle, Out>,
): PTransform<PCollection<T>, PCollection<Out>> {
  for (const method of ["begin", "write", "preCommit", "commit", "abort"] as const) {
    if (typeof sink[method] !== "function") {
      throw new ConstructionError(`twoPhaseCommitWrite: the sink has no ${method}() method; a TwoPhaseCommitSink needs all five.`);
    }
  }
  if (sink.handleCoder === undefined) {
    throw new ConstructionError(
      "twoPhaseCommitWrite: the sink has no handleCoder; a pre-committed handle is stored in checkpoints, so it needs a coder.",
    );
  }
  return new TwoPhaseCommitWrite(sink);
}

class TwoPhaseCommitWrite<T, Txn, Handle, Out> extends PTransform<PCollection<T>, PCollection<Out>> {
  constructor(private readonly sink: TwoPhaseCommitSink<T, Txn, Handle, Out>) {
    super("TwoPhaseCommitWrite");
  }

  expand(input: PCollection<T>): PCollection<Out> {
    const written = input.apply("Write", parDo(new TwoPhaseCommitDoFn(this.sink), { maxConcurrency: 1 }));
    return this.sink.outputCoder === undefined ? written : written.withCoder(this.sink.outputCoder);
  }
}
