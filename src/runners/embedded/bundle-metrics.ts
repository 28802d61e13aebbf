import { JobMetricsStore, MetricsContainer } from "../../metrics/index.js";
import type { DoFnOperation } from "../../runtime/index.js";

/** Per-bundle metrics bookkeeping: attempted for every attempt, committed on success. */
export interface BundleMetrics {
  startBundle(ops: readonly DoFnOperation[]): { commit(): void; abort(): void };
}

/** Namespace of the embedded runner's own metrics (spill counters, thread start-up). */
export const EMBEDDED_NAMESPACE = "beam-ts:embedded";

/** The job's metrics: each bundle attempt gives every DoFn step a fresh container. */
export class JobMetrics implements BundleMetrics {
  readonly store = new JobMetricsStore();
  /** Bundle attempts started by this executor: their numbers label user code's log records. */
  private bundles = 0;

  startBundle(ops: readonly DoFnOperation[]) {
    const bundle = String(++this.bundles);
    const containers = ops.map((op) => {
      op.metrics = new MetricsContainer(op.label);
      op.metrics.bundle = bundle;
      return op.metrics;
    });
    return {
      commit: () => this.store.record(containers, true),
      abort: () => this.store.record(containers, false),
    };
  }

  /**
   * Elements a GroupByKey dropped because their window was past the allowed lateness,
   * counted as Beam does (per element and window) under the step's label.
   */
  droppedDueToLateness(step: string, n: number): void {
    this.system(step, "LateDataDroppingDoFnRunner", "droppedDueToLateness", n);
  }

  /** Elements that arrived for a window whose trigger had finished (Beam's ReduceFnRunner counter). */
  droppedDueToClosedWindow(step: string, n: number): void {
    this.system(step, "ReduceFnRunner", "droppedDueToClosedWindow", n);
  }

  /**
   * `afterBundleCommit` callbacks of the step dropped because their expiry had passed when
   * the bundle committed (`beam-ts:embedded/expiredFinalizations`).
   */
  finalizationsExpired(step: string, count: number): void {
    this.system(step, EMBEDDED_NAMESPACE, "expiredFinalizations", count);
  }

  /** Bytes a GroupByKey wrote to local disk under the memory budget, and how many runs. */
  spilled(step: string, bytes: number): void {
    const c = new MetricsContainer(step);
    c.counter(EMBEDDED_NAMESPACE, "spilledBytes").inc(bytes);
    c.counter(EMBEDDED_NAMESPACE, "spillRuns").inc(1);
    this.store.record([c], true);
  }

  /**
   * A durable checkpoint, as job-level metrics (`beam-ts:embedded/...`, step ""): a count of
   * checkpoints, and gauges of the last one's bytes and milliseconds (request to durable).
   */
  checkpointed(stats: { readonly bytes: number; readonly millis: number }): void {
    const c = new MetricsContainer("");
    c.counter(EMBEDDED_NAMESPACE, "checkpoints").inc(1);
    c.gauge(EMBEDDED_NAMESPACE, "lastCheckpointBytes").set(stats.bytes);
    c.gauge(EMBEDDED_NAMESPACE, "lastCheckpointMillis").set(Math.round(stats.millis));
    this.store.record([c], true);
  }

  /**
   * How long an executor stopped processing to take its part of a checkpoint (a
   * distribution, `beam-ts:embedded/checkpointPauseMillis`, step ""): the bounded pause
   * issue #21 asks to measure. Its max is the longest stop of any executor.
   */
  checkpointPaused(millis: number): void {
    const c = new MetricsContainer("");
    c.distribution(EMBEDDED_NAMESPACE, "checkpointPauseMillis").update(millis);
    this.store.record([c], true);
  }

  /** How long an executor took to restore its stages from a checkpoint (gauge `restoreMillis`, step ""). */
  restored(millis: number): void {
    const c = new MetricsContainer("");
    c.gauge(EMBEDDED_NAMESPACE, "restoreMillis").set(Math.round(millis));
    this.store.record([c], true);
  }

  private system(step: string, namespace: string, name: string, n: number): void {
    const c = new MetricsContainer(step);
    c.counter(namespace, name).inc(n);
    this.store.record([c], true);
  }

  results(): JobMetricsStore {
    return this.store;
  }
}
