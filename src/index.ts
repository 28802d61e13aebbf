/**
 * beam-ts: the Apache Beam programming model in TypeScript.
 *
 * Importing the package registers the embedded runner as `--runner=embedded` (the default).
 *
 * @example
 * import { Pipeline, create, map, countPerElement } from "beam-ts";
 * const p = new Pipeline();
 * p.apply(create(["a", "b", "a"])).apply(countPerElement());
 * await p.run().waitUntilFinish();
 */
import { registerJobObserver, registerRunner } from "./pipeline/index.js";
import { observeFromOptions } from "./observe/index.js";
// Not ./runners/index.js: that loads the portable runner's Job API client, which
// PortableRunner imports only when a job is submitted.
import { EmbeddedRunner } from "./runners/embedded/index.js";
import { PortableRunner } from "./runners/portable/portable-runner.js";
import { DataflowRunner } from "./runners/dataflow/dataflow-runner.js";

export * from "./model/index.js";
export * from "./coders/index.js";
export {
  Pipeline,
  PCollection,
  PBegin,
  PTransform,
  ptransform,
  registerRunner,
  type PValue,
  type ElementOf,
  type PipelineResult,
  type JobState,
  type Runner,
  type PipelineGraph,
  type JobSnapshot,
  type JobInfo,
  type StepSnapshot,
  type StageSnapshot,
  type SourceSnapshot,
  type LineageSnapshot,
  type MemorySnapshot,
  type WorkersSnapshot,
  type CheckpointsSnapshot,
  type GraphView,
  type StateMigration,
  type TransformView,
  type GraphPCollection,
  type StageView,
  registerJobObserver,
  type JobObserver,
  type JobObservation,
  defineOptions,
  option,
  redactOptions,
  HelpRequested,
  PipelineOptionsSpec,
  type ParsedOptions,
  type OptionDef,
} from "./pipeline/index.js";
export * from "./transforms/index.js";
export {
  Metrics,
  Lineage,
  lineageName,
  type LineageDirection,
  stepMatches,
  type Counter,
  type Distribution,
  type DistributionResult,
  type Gauge,
  type GaugeResult,
  type MetricQueryResults,
  type MetricResult,
  type MetricResults,
  type MetricsFilter,
  type StringSet,
  logger,
  type LogLevel,
  type LogMethod,
} from "./metrics/index.js";
export * from "./testing/index.js";
export * from "./sql/index.js";
export {
  AfterMatchSkipStrategy,
  begin,
  detectPattern,
  Pattern,
  type Condition,
  type Contiguity,
  type DetectPatternOptions,
  type DetectPatternOutputs,
  type IterativeContext,
  type Match,
  type TimedOutMatch,
} from "./cep/index.js";
export { EmbeddedRunner, PortableRunner };
export { decodeCheckpoint, type CheckpointContents, type CheckpointHeader, type StageShape } from "./runners/embedded/index.js";

// Every job gets the observers its options ask for (--metricsPort, progress, --lineageFile).
registerJobObserver(observeFromOptions);
registerRunner("embedded", () => new EmbeddedRunner());
registerRunner("portable", () => new PortableRunner());
registerRunner("prism", () => new PortableRunner());
registerRunner("flink", () => new PortableRunner());
registerRunner("spark", () => new PortableRunner());
registerRunner("dataflow", () => new DataflowRunner({ writeStagedFile: writeThroughFileSystems }));

/**
 * How the Dataflow runner stages files: through the file system of the path's scheme (gs://),
 * configured by the pipeline's options. Runners may not import src/io, so the package entry
 * hands this in; the file systems load only when a job stages.
 */
async function writeThroughFileSystems(path: string, bytes: Uint8Array, options: Readonly<Record<string, unknown>>): Promise<void> {
  const files = await import("./io/filesystems/index.js");
  files.setDefaultFileSystemOptions(options);
  const file = await (await files.fileSystemFor(path)).create(path);
  try {
    await file.write(bytes);
    await file.close();
  } catch (err) {
    await file.abort().catch(() => {});
    throw err;
  }
}
