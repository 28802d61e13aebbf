import { LOG_LEVELS, isLogLevel, parseStepLevels } from "../../metrics/index.js";
import { registeredRunnerNames } from "../runner.js";
import { parseByteSize } from "./byte-size.js";
import { gcsOptions, s3Options } from "./file-system-options.js";
import { option, type OptionDef } from "./option.js";
import { runnerOptions } from "./runner-options.js";

/**
 * `base` (shown as `--name=<type>`) whose parsed value `check` also validates, throwing a
 * message as `OptionDef.parse` does, so the problem is reported where options are parsed.
 */
function checked<T>(base: OptionDef<T>, check: (value: T) => void, type = base.type): OptionDef<T> {
  return {
    ...base,
    type,
    parse(text: string): T {
      const value = base.parse(text);
      check(value);
      return value;
    },
  };
}

/** `--runner` must name a registered runner (once any is registered: the package entry registers them). */
function checkRunnerName(name: string): void {
  const known = registeredRunnerNames();
  if (known.length > 0 && !known.includes(name)) throw `no runner named "${name}"; known runners: ${known.join(", ")}`;
}

/** `--memoryBudget` is a size such as 512MB, a number of bytes, or none. */
function checkByteSize(text: string | undefined): void {
  if (text === undefined || text.trim().toLowerCase() === "none" || parseByteSize(text) !== undefined) return;
  throw `expected a size such as 512MB or 2GB (binary units), a number of bytes, or none, got "${text}"`;
}

/**
 * Options every pipeline understands, whatever else it defines. Runners read the ones
 * that apply to them.
 */
export const standardOptions = {
  runner: checked(option.string({ description: "The runner that executes the pipeline", default: "embedded" }), checkRunnerName),
  jobName: option.string({ description: "A name for the job, shown by runners and in metrics" }),
  bundleSize: option.integer({ description: "Elements per bundle (embedded runner)", default: 1000, min: 1 }),
  maxBundleRetries: option.integer({
    description: "How many times a failed bundle is retried before the job fails",
    default: 2,
    min: 0,
  }),
  memoryBudget: checked(
    option.string({
      description:
        "Memory the embedded runner's GroupByKeys, Combines and (when given) stateful ParDos of a batch job may hold before going through local disk (e.g. 512MB, 2GB; none: all in memory; default: half the heap limit, GroupByKeys and Combines only)",
    }),
    checkByteSize,
    "size",
  ),
  // No default: an option not given is not sent to a job service, so Flink uses its cluster's
  // parallelism.default (Beam's -1) instead of 1; the embedded runner reads undefined as 1.
  parallelism: option.integer({
    description:
      "Embedded runner: executors, this thread and parallelism-1 worker threads (default 1). Flink: the job's parallelism (default: the cluster's parallelism.default)",
    min: 1,
  }),
  tempLocation: option.string({
    description:
      "An existing directory for temporary files such as spilled GroupByKey data (embedded runner; default: the OS temp directory)",
  }),
  liftCombines: option.boolean({ description: "Pre-combine before shuffles (embedded runner)", default: true }),
  enforceImmutability: option.boolean({
    description:
      "Fail a DoFn that changes its input or a value after outputting it (embedded runner; every element up to 10,000 per PCollection, then one in 100)",
    default: true,
  }),
  enforceEncodability: option.boolean({
    description:
      "Encode elements crossing a GroupByKey, Combine, Reshuffle, stateful or side input with their PCollection's coder and go on with the decoded copy, at every parallelism (embedded runner; every element up to 10,000 per PCollection, then one in 100)",
    default: true,
  }),
  checkpointDir: option.string({
    description:
      "A directory for the embedded runner's checkpoints of unbounded jobs: sources' positions, state, timers and watermarks, taken every --checkpointInterval (docs/FAULT_TOLERANCE.md)",
  }),
  checkpointInterval: option.string({
    description: "How often the embedded runner checkpoints an unbounded job with --checkpointDir: 10s, 500ms, 2m, or milliseconds (default 10s)",
  }),
  checkpointsRetained: option.integer({ description: "Checkpoints kept in --checkpointDir, newest first (default 3; savepoints are never removed)", min: 1 }),
  restoreFrom: option.string({
    description: "Start the job from a checkpoint or savepoint: latest (the newest in --checkpointDir) or the path of one",
  }),
  allowDroppingState: option.boolean({ description: "Restore even when a step that holds state in the checkpoint is gone from the pipeline (its state is dropped)" }),
  renameSteps: option.string({ description: "Steps renamed since the checkpoint, for --restoreFrom: old=new pairs separated by commas" }),
  jobEndpoint: option.string({ description: "host:port of a Beam job service, for --runner=portable or prism" }),
  detached: option.boolean({
    description:
      "Portable runners: return once the job is submitted, printing its id; it runs on without this process (needs --jobEndpoint and workers outside this process: --environmentType=PROCESS, EXTERNAL or DOCKER). Watch and stop it with `beam-ts jobs`",
  }),
  allowUnsafeTriggers: option.boolean({
    description: "Allow triggers that may finish before their window expires (later data is dropped)",
  }),
  environmentType: option.choice(["LOOPBACK", "PROCESS", "EXTERNAL", "DOCKER"] as const, {
    description:
      "Where a portable runner runs beam-ts workers: LOOPBACK (in this process; the default), PROCESS (a boot command " +
      "the runner starts), EXTERNAL (a beam-ts worker-pool at --environmentConfig=host:port) or DOCKER (an image)",
  }),
  environmentConfig: option.string({
    description:
      'The environment\'s configuration: PROCESS {"command": "<beam-ts boot launcher>", "env": {...}} (default: this ' +
      "installation's bin/beam-ts-boot.js), EXTERNAL host:port of a worker pool, DOCKER the container image",
  }),
  pipelineModule: option.string({
    description: "The pipeline module staged for PROCESS, EXTERNAL and DOCKER workers (default: the program's entry, process.argv[1])",
  }),
  stagingExternals: option.string({
    description: "Comma-separated npm packages left out of the staged bundle (packages with native addons); workers load them from their node_modules",
  }),
  metricsPort: option.integer({
    description:
      "Serve the job's metrics for Prometheus at http://<metricsHost>:<port>/metrics while it runs (0: any free port, printed on stderr; docs/MONITORING.md)",
    min: 0,
  }),
  metricsHost: option.string({
    description: "The address --metricsPort binds (default 127.0.0.1: this machine only; 0.0.0.0 exposes the metrics to the network)",
  }),
  ui: option.boolean({
    description: "Serve the job's monitoring web page (graph, live counts, watermarks, Drain and Cancel) while it runs, at http://127.0.0.1:<uiPort>/ (docs/MONITORING.md)",
  }),
  uiPort: option.integer({ description: "The port of --ui's web page (implies --ui; 0, the default: any free port, printed on stderr)", min: 0 }),
  uiHost: option.string({
    description: "The address --ui binds (default 127.0.0.1); any other address requires the access token printed on stderr with the page's URL",
  }),
  logLevel: checked(option.string({ description: `The lowest level of \`logger\` records written (${LOG_LEVELS.join(", ")}; default info)` }), (level) => {
    if (level !== undefined && !isLogLevel(level)) throw `expected one of ${LOG_LEVELS.join(", ")}, got "${level}"`;
  }),
  logLevels: checked(option.string({ description: "Levels per step, overriding --logLevel: Parse=debug,Write=warn (a step name matches nested steps too, as in metric queries)" }), (text) => {
    try {
      if (text !== undefined) parseStepLevels(text);
    } catch (err) {
      throw err instanceof Error ? err.message : String(err);
    }
  }),
  quiet: option.boolean({ description: "No progress bar and no summary on the terminal when a batch job ends" }),
  lineageFile: option.string({ description: "Append the job's OpenLineage run events (START, COMPLETE or FAIL, with its datasets) to this file, one JSON a line" }),
  lineageUrl: option.string({ description: "POST the job's OpenLineage run events to this URL (e.g. http://marquez:5000/api/v1/lineage)" }),
  expandComposites: option.boolean({
    description: "Run Combine and Reshuffle through their primitive expansions (embedded runner; for testing)",
  }),
  ...s3Options,
  ...gcsOptions,
  ...runnerOptions,
};

export type StandardOptionSpecs = typeof standardOptions;
