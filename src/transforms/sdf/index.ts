// Splittable-DoFn building blocks: restrictions, trackers, watermark estimators and the
// user-facing SplittableDoFn interface.
export * from "./errors.js";
export * from "./offset-range.js";
export * from "./restriction-tracker.js";
export * from "./offset-range-tracker.js";
export * from "./growable-offset-range-tracker.js";
export * from "./watermark-estimators.js";
export * from "./process-continuation.js";
export * from "./splittable-do-fn.js";
export * from "./splittable-par-do.js";
