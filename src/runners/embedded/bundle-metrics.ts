import type { DoFnOperation } from "../../runtime/index.js";

/** Per-bundle metrics bookkeeping: attempted for every attempt, committed on success. */
export interface BundleMetrics {
  startBundle(ops: readonly DoFnOperation[]): { commit(): void; abort(): void };
}

/** The job's metrics store. TODO(#2): wire to src/metrics once it lands. */
export class JobMetrics implements BundleMetrics {
  startBundle(_ops: readonly DoFnOperation[]) {
    return { commit() {}, abort() {} };
  }
  results() {
    return { queryMetrics: () => ({}) };
  }
}
