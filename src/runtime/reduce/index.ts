export * from "./reduce-fn.js";
export * from "./bundle-table.js";
export * from "./pane-timing.js";
export * from "./reduce-runner.js";
export * from "./reduce-snapshot.js";
