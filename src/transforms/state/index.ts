export * from "./state-spec.js";
export * from "./stateful-do-fn.js";
