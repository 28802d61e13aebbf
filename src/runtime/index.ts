// The execution core shared by every host (embedded runner, Fn API harness).
export * from "./receiver.js";
export * from "./operation.js";
export * from "./assign-windows.js";
export * from "./do-fn-operation.js";
export * from "./user-code-error.js";
export * from "./pending-calls.js";
export * from "./bundle-finalization.js";
export * from "./retry-policy.js";
export * from "./keyed-window-table.js";
export * from "./side-input-store.js";
export * from "./min-heap.js";
export * from "./reduce/index.js";
export * from "./triggers/index.js";
export * from "./state/index.js";
