// The Dataflow runner: a submission client for Google Cloud Dataflow (runner v2).
export { DataflowRunner, type DataflowRunnerDeps } from "./dataflow-runner.js";
export { dataflowProblems, dataflowSettingsOf, DATAFLOW_ENDPOINT, type DataflowSettings } from "./dataflow-settings.js";
export type { WriteStagedFile } from "./dataflow-staging.js";
