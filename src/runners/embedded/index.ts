// The embedded runner: runs pipelines in this process.
export { EmbeddedRunner, embeddedSettings, type EmbeddedRunnerSettings } from "./embedded-runner.js";
export { planGraph } from "./planner.js";
export type { PlanStep } from "./plan.js";
export { decodeCheckpoint, type CheckpointContents, type CheckpointHeader, type StageShape } from "./checkpoint/checkpoint-file.js";
export { readRunningJob, RUNNING_JOB_FILE, type RunningJob } from "./checkpoint/running-job-file.js";
export { parseDurationMillis } from "./checkpoint/checkpoint-settings.js";
export { fusedStages, stagesOfPlan } from "./fused-stages.js";
