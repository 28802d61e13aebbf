import { JobMetricsStore, MetricsContainer } from "../../metrics/index.js";
import type { DoFnOperation } from "../../runtime/index.js";

/** Per-bundle metrics bookkeeping: attempted for every attempt, committed on success. */
export interface BundleMetrics {
  startBundle(ops: readonly DoFnOperation[]): { commit(): void; abort(): void };
}

/** The job's metrics: each bundle attempt gives every DoFn step a fresh container. */
export class JobMetrics implements BundleMetrics {
  readonly store = new JobMetricsStore();

  startBundle(ops: readonly DoFnOperation[]) {
    const containers = ops.map((op) => (op.metrics = new MetricsContainer(op.label)));
    return {
      commit: () => this.store.record(containers, true),
      abort: () => this.store.record(containers, false),
    };
  }

  results(): JobMetricsStore {
    return this.store;
  }
}
