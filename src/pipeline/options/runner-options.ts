import { dataflowRunnerOptions } from "./dataflow-options.js";
import { option, type OptionDef } from "./option.js";

// The options of the runners behind a Beam job service, under Beam's names so they reach the
// runner as they are: the portable runner sends every plain option as
// `beam:option:<snake_case>:v1`, and Beam's Java job servers turn those back into camelCase
// and read them with Jackson into their option interfaces (PipelineOptionsTranslation). The
// names, types and meanings follow Beam 2.70's StandardOptions, PortablePipelineOptions,
// FlinkPipelineOptions and SparkPipelineOptions. None has a default here: an option not given
// is not sent, so the runner's own default (or its cluster's configuration) applies. The
// embedded runner and Prism ignore these.

/**
 * Flink's checkpoint interval: a positive number of milliseconds, or -1 (Beam's "not set": no
 * checkpoints). 0 is refused here because Beam's Flink runner refuses it only once the job is
 * submitted ("The checkpoint interval must be positive").
 */
const checkpointingInterval: OptionDef<number | undefined> = (() => {
  const base = option.integer({
    description:
      "Flink: milliseconds between checkpoints; -1: none. Default: none, except 5000 for a job with an unbounded PCollection (a note says so)",
    min: -1,
  });
  return {
    ...base,
    parse(text: string): number | undefined {
      const value = base.parse(text);
      if (value === 0) throw "expected a positive number of milliseconds, or -1 for no checkpoints, got 0";
      return value;
    },
  };
})();

/** Beam's StandardOptions and PortablePipelineOptions that job servers read. */
export const portableRunnerOptions = {
  streaming: option.boolean({
    description:
      "Run the job in streaming mode (Beam's StandardOptions): Flink and Spark use their streaming translation even for bounded input; " +
      "a job with an unbounded PCollection runs in streaming mode anyway",
  }),
  sdkWorkerParallelism: option.integer({
    description: "PROCESS and DOCKER workers per Flink task manager or Spark executor (Beam's default 1; 0: the runner picks, e.g. from the CPUs)",
    min: 0,
  }),
  environmentCacheMillis: option.integer({ description: "How long a runner keeps a worker environment for reuse within a job, in ms (Beam's default 0: no caching)", min: 0 }),
  environmentExpirationMillis: option.integer({ description: "How long a worker environment may live before the runner replaces it, in ms (Beam's default 0: no expiration)", min: 0 }),
  loadBalanceBundles: option.boolean({ description: "Give each bundle to the next free worker instead of the worker pinned to the runner's task (long, skewed bundles)" }),
};

/** Beam's FlinkPipelineOptions (the runner's option interface, read by Beam's Flink job server). */
export const flinkRunnerOptions = {
  flinkMaster: option.string({
    description: "Flink: the JobManager the job server submits to, host:port, [local] or [auto] (Beam's default [auto]: the job server's --flink-master)",
  }),
  maxParallelism: option.integer({ description: "Flink: the job's maximum parallelism, the upper limit for rescaling and the number of key groups of keyed state", min: 1 }),
  checkpointingInterval,
  checkpointingMode: option.choice(["EXACTLY_ONCE", "AT_LEAST_ONCE"], { description: "Flink: the checkpoints' consistency guarantee (Beam's default EXACTLY_ONCE)" }),
  checkpointTimeoutMillis: option.integer({ description: "Flink: how long a checkpoint may take before it is discarded, in ms (default: Flink's, 10 minutes)", min: 1 }),
  minPauseBetweenCheckpoints: option.integer({ description: "Flink: the least time between the end of a checkpoint and the start of the next, in ms", min: 0 }),
  numConcurrentCheckpoints: option.integer({ description: "Flink: checkpoints that may be in progress at once (Beam's default 1)", min: 1 }),
  unalignedCheckpointEnabled: option.boolean({ description: "Flink: unaligned checkpoints (barriers overtake buffered data, so checkpoints take as long under backpressure)" }),
  finishBundleBeforeCheckpointing: option.boolean({ description: "Flink: finish the running bundle and flush its output before a checkpoint, instead of buffering it in the checkpoint" }),
  externalizedCheckpointsEnabled: option.boolean({ description: "Flink: keep checkpoints outside the job (to restart from one with --savepointPath)" }),
  retainExternalizedCheckpointsOnCancellation: option.boolean({ description: "Flink: with --externalizedCheckpointsEnabled, keep them when the job is cancelled" }),
  shutdownSourcesAfterIdleMs: option.integer({
    description: "Flink: stop sources idle this long, in ms; a streaming job ends only when its sources stop (Beam's default: never with checkpoints, at once without)",
    min: 0,
  }),
  numberOfExecutionRetries: option.integer({ description: "Flink: how often failed tasks are run again (0: never; default: the cluster's restart strategy)", min: 0 }),
  executionRetryDelay: option.integer({ description: "Flink: the delay before a failed task runs again, in ms", min: 0 }),
  stateBackend: option.choice(["rocksdb", "filesystem"], {
    description: "Flink: where keyed state lives (needs --stateBackendStoragePath; default: the cluster's state.backend)",
  }),
  stateBackendStoragePath: option.string({ description: "Flink: the durable directory (e.g. s3://, hdfs://) of --stateBackend's checkpoints" }),
  maxBundleSize: option.integer({ description: "Flink: most elements in a bundle (Beam's default 1000 streaming, 1,000,000 batch)", min: 1 }),
  maxBundleTimeMills: option.integer({ description: "Flink: most milliseconds a bundle stays open (Beam's default 1000 streaming, 10000 batch)", min: 1 }),
  autoWatermarkInterval: option.integer({ description: "Flink: milliseconds between the sources' watermark emissions", min: 1 }),
  savepointPath: option.string({ description: "Flink: start the job from this savepoint or retained checkpoint (remote --flinkMaster only)" }),
  allowNonRestoredState: option.boolean({ description: "Flink: with --savepointPath, allow state of steps that are gone from the pipeline (it is dropped)" }),
  flinkConfDir: option.string({ description: "Flink: a directory of flink-conf.yaml whose settings apply to the job, over the job server's" }),
};

/** Beam's SparkPipelineOptions (read by Beam's Spark job server). */
export const sparkRunnerOptions = {
  sparkMaster: option.string({
    description: "Spark: the master to run on, spark://host:port or local[N] (Beam's default local[4]: the job server's --spark-master-url)",
  }),
  storageLevel: option.string({ description: "Spark: the storage level of cached datasets, e.g. MEMORY_ONLY (Beam's default) or MEMORY_AND_DISK" }),
  batchIntervalMillis: option.integer({ description: "Spark streaming: the micro-batch interval in ms (Beam's default 500)", min: 1 }),
  checkpointDurationMillis: option.integer({ description: "Spark streaming: the checkpoint period in ms (default: Spark's, the larger of the slide duration and 10 s)", min: 1 }),
  maxRecordsPerBatch: option.integer({ description: "Spark streaming: most records an unbounded source reads per micro-batch", min: 1 }),
  cacheDisabled: option.boolean({ description: "Spark: recompute PCollections used more than once instead of caching them" }),
};

/**
 * Every runner option: accepted by every program (`defineOptions`, `beam-ts run`) so a job can
 * be pointed at Flink or Spark without redeclaring them. A program may still declare one of
 * these itself, with the same type (as Beam lets several option interfaces declare a getter).
 */
export const runnerOptions = { ...portableRunnerOptions, ...flinkRunnerOptions, ...sparkRunnerOptions, ...dataflowRunnerOptions };
