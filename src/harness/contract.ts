// The harness's light import surface: what the embedded runner's worker threads and the
// portable runner's submit-time checks need (the worker contract, metric payloads) without
// loading gRPC, the generated protos or esbuild, which index.ts brings. Both are re-exported
// by index.ts too. The restriction coder is the one encoding of splittable-DoFn
// restrictions, shared with the embedded runner's checkpoints.
export * from "./worker-contract.js";
export * from "./monitoring-infos.js";
export { restrictionCoder } from "./restriction-coder.js";
