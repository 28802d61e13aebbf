import { AsyncLocalStorage } from "node:async_hooks";
import type { MetricsContainer } from "./container.js";

/**
 * Which container the Metrics API records into. Runners enter a step's container around
 * every call into its DoFn and restore the previous one after, so fused steps calling each
 * other record into their own containers. Async DoFns also run inside an
 * AsyncLocalStorage scope, so code after an `await` still records to its step.
 */
const asyncScope = new AsyncLocalStorage<MetricsContainer>();

/**
 * The container current for synchronous code. Runners on hot paths read and write
 * `syncScope.container` directly (save, set, call, restore): a plain property write is the
 * cheapest way to do this per element.
 */
export const syncScope: { container: MetricsContainer | undefined } = { container: undefined };

export const MetricsEnvironment = {
  /** The container of the step whose code is running, if any. */
  current(): MetricsContainer | undefined {
    return syncScope.container ?? asyncScope.getStore();
  },
  /** Makes `container` current for synchronous code; returns what to restore. */
  enter(container: MetricsContainer | undefined): MetricsContainer | undefined {
    const previous = syncScope.container;
    syncScope.container = container;
    return previous;
  },
  exit(previous: MetricsContainer | undefined): void {
    syncScope.container = previous;
  },
  /** Runs `fn` with `container` current across its awaits. */
  runAsync<T>(container: MetricsContainer, fn: () => T): T {
    return asyncScope.run(container, fn);
  },
};
