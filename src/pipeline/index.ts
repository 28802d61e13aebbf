// The construction layer: Pipeline, PCollection, PTransform, the graph and its fingerprint.
export * from "./graph.js";
export * from "./pipeline.js";
export * from "./ptransform.js";
export * from "./pvalue.js";
export * from "./runner.js";
export * from "./fingerprint.js";
export { migrationSlot, type StateMigration, type StateMigrations } from "./state-migration.js";
export { defaultName } from "./naming.js";
export * from "./options/index.js";
export * from "./job-snapshot.js";
export * from "./graph-view.js";
export { toDot, toMermaid } from "./graph-render.js";
export { registerJobObserver, type JobObserver, type JobObservation } from "./job-observers.js";
export { onPipelineRun, notifyPipelineRun, type PipelineRunListener } from "./run-listeners.js";
