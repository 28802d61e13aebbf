// The Fn API SDK harness: runs beam-ts bundles for a portable runner.
export * from "./bundle-processor.js";
export * from "./fn-harness.js";
export * from "./worker-pool.js";
export * from "./side-inputs.js";
export * from "./state-channel.js";
export * from "./monitoring-infos.js";
export * from "./logging.js";
// Separate worker processes: Beam's boot contract, the worker pool service, and what the
// submitter stages for them (worker-entry.ts is deliberately not exported: it has effects).
export * from "./boot.js";
export * from "./process-worker-pool.js";
export * from "./worker-contract.js";
export { serveFailure } from "./failed-worker.js";
