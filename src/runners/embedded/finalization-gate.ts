import { runFinalizations, warnFinalizationFailed, type FinalizationCallback } from "../../runtime/index.js";

/**
 * Where a committed bundle's `afterBundleCommit` callbacks go: the one seam between bundle
 * execution and bundle finalization. The executor hands each bundle's callbacks over right
 * after its sinks committed (never those of a failed attempt) and awaits the returned
 * promise before its next bundle.
 *
 * Today a bundle's commit is final, so `finalizeNow` runs them at once. With checkpoints
 * (issue #21) a commit becomes durable only when a checkpoint covers it: that gate will
 * hold the callbacks and release them when the checkpoint completes.
 */
export interface FinalizationGate {
  bundleCommitted(callbacks: readonly FinalizationCallback[]): Promise<void>;
}

/** Counts callbacks dropped because they expired before their bundle could be finalized. */
export interface FinalizationMetrics {
  finalizationsExpired(step: string, count: number): void;
}

/**
 * The gate of a runner whose commits are final: runs the callbacks at once (wall-clock
 * expiry, as Beam), counting expired ones and warning about failing ones.
 */
export function finalizeNow(metrics: FinalizationMetrics, now: () => number = Date.now): FinalizationGate {
  const reporter = {
    expired: (step: string, count: number) => metrics.finalizationsExpired(step, count),
    failed: warnFinalizationFailed,
  };
  return {
    bundleCommitted: (callbacks) => (callbacks.length === 0 ? Promise.resolve() : runFinalizations(callbacks, now, reporter)),
  };
}
