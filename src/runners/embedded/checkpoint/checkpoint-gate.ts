import { runFinalizations, warnFinalizationFailed, type FinalizationCallback } from "../../../runtime/index.js";
import type { FinalizationGate, FinalizationMetrics } from "../finalization-gate.js";
import { crashPoint } from "./crash-points.js";

/**
 * The finalization gate of a checkpointed job: a committed bundle's callbacks (acks to a
 * broker, a two-phase sink's commit) wait until a checkpoint covering the bundle is
 * durable. Had they run at once, a crash before that checkpoint would replay the bundle
 * from the previous one, after its messages were acked or its output made visible.
 *
 * Callbacks collect in the open epoch; `cut(id)` closes it as checkpoint `id`'s (called at
 * the moment the executor snapshots, so the checkpoint covers exactly those bundles, and
 * stores their recovery bytes), and `completed(id)` runs every epoch up to `id`, in order.
 */
export class CheckpointGate implements FinalizationGate {
  private open: FinalizationCallback[] = [];
  private readonly closed = new Map<number, FinalizationCallback[]>();
  /** Finalizations run one after another, behind the executor. */
  private running: Promise<void> = Promise.resolve();
  /**
   * Callbacks scheduled and not yet run: a checkpoint taken meanwhile stores their recovery
   * bytes too, since a restore from it would otherwise forget a commit the crash interrupted.
   */
  private readonly scheduled = new Set<FinalizationCallback>();

  constructor(
    private readonly metrics: FinalizationMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  bundleCommitted(callbacks: readonly FinalizationCallback[]): Promise<void> {
    for (const c of callbacks) this.open.push(c);
    return Promise.resolve();
  }

  /** The recovery bytes of the open epoch's callbacks: what checkpoint `id` stores. */
  recoveries(): { readonly step: string; readonly recovery: Uint8Array }[] {
    const out: { step: string; recovery: Uint8Array }[] = [];
    for (const epoch of [[...this.scheduled], ...this.closed.values(), this.open]) {
      for (const c of epoch) if (c.recovery !== undefined) out.push({ step: c.step, recovery: c.recovery });
    }
    return out;
  }

  /** Closes the open epoch as checkpoint `id`'s. */
  cut(id: number): void {
    this.closed.set(id, this.open);
    this.open = [];
  }

  /** Checkpoint `id` is durable: its callbacks and those of earlier epochs run (in the background). */
  completed(id: number): void {
    const due: FinalizationCallback[] = [];
    for (const [epoch, callbacks] of [...this.closed].sort((a, b) => a[0] - b[0])) {
      if (epoch > id) break;
      due.push(...callbacks);
      this.closed.delete(epoch);
    }
    if (due.length > 0) this.schedule(due);
  }

  /** The job ended normally: its output is final, so every callback runs. Resolves when they ran. */
  async finish(): Promise<void> {
    const all = [...[...this.closed].sort((a, b) => a[0] - b[0]).flatMap(([, c]) => c), ...this.open];
    this.closed.clear();
    this.open = [];
    if (all.length > 0) this.schedule(all);
    await this.running;
  }

  /** Callbacks held and not run: those of a cancelled or failed job are dropped (a restore recovers them). */
  get held(): number {
    let n = this.open.length;
    for (const c of this.closed.values()) n += c.length;
    return n;
  }

  /** Resolves when the finalizations scheduled so far have run. */
  idle(): Promise<void> {
    return this.running;
  }

  private schedule(callbacks: readonly FinalizationCallback[]): void {
    const reporter = {
      expired: (step: string, count: number) => this.metrics.finalizationsExpired(step, count),
      failed: warnFinalizationFailed,
    };
    for (const c of callbacks) this.scheduled.add(c);
    this.running = this.running.then(async () => {
      for (const c of callbacks) {
        crashPoint("commit");
        await runFinalizations([c], this.now, reporter);
        this.scheduled.delete(c);
      }
    });
  }
}
