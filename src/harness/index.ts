// The Fn API SDK harness: runs beam-ts bundles for a portable runner.
export * from "./bundle-processor.js";
export * from "./fn-harness.js";
export * from "./worker-pool.js";
export * from "./side-inputs.js";
export * from "./state-channel.js";
