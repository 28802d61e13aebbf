// Observers of running jobs: they render JobSnapshots (src/pipeline/job-snapshot.ts) and never reach into a runner.
export { observeFromOptions, snapshotOf, setProgressStream } from "./observe-from-options.js";
export { startMetricsServer, type MetricsServer } from "./metrics-server.js";
export { metricFamilies, type MetricFamily, type MetricSample } from "./prometheus-families.js";
export { JobProgress, fractionDone, isBatch, progressLine, summaryLine, type ProgressStream } from "./job-progress.js";
export { RunEvents, datasetOf, emitRunEvent, type LineageTargets, type OpenLineageDataset, type RunEvent, type RunEventType } from "./openlineage.js";
