// The embedded runner: runs pipelines in this process.
export { EmbeddedRunner, embeddedSettings, type EmbeddedRunnerSettings } from "./embedded-runner.js";
export { planGraph } from "./planner.js";
export type { PlanStep } from "./plan.js";
export { decodeCheckpoint, type CheckpointContents, type CheckpointHeader, type StageShape } from "./checkpoint/checkpoint-file.js";
export { fusedStages, stagesOfPlan } from "./fused-stages.js";
