export * from "./state-table.js";
export * from "./state-accessors.js";
export * from "./timer-table.js";
export * from "./timer-checks.js";
export * from "./keyed-input.js";
export * from "./expiry-context.js";
export * from "./timer-context.js";
