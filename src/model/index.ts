// The model layer: pure Beam values and contracts; imports nothing else of beam-ts.
export * from "./time.js";
export * from "./errors.js";
export * from "./lifecycle-errors.js";
export { formatFailure, verboseFailures, type FailureReportOptions } from "./failure-report.js";
export * from "./kv.js";
export * from "./pane.js";
export * from "./window.js";
export * from "./windowed-value.js";
export * from "./timestamped-value.js";
export * from "./coder.js";
export * from "./window-fn.js";
export * from "./window-fns.js";
export * from "./windowing-strategy.js";
export * from "./test-stream-event.js";
export * from "./trigger.js";
export * from "./secret.js";
export * from "./schema/index.js";
