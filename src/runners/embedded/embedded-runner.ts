import { accessSync, constants, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getHeapStatistics } from "node:v8";
import { BeamError, JobFailedError, OptionsError, verboseFailures } from "../../model/index.js";
import { pipelineModuleProblem } from "../pipeline-module.js";
import { parseByteSize, type JobSnapshot, type JobState, type LineageSnapshot, type Pipeline, type PipelineResult, type Runner } from "../../pipeline/index.js";
import { JobMetrics } from "./bundle-metrics.js";
import { Lineage } from "../../metrics/index.js";
import { embeddedSnapshot } from "./embedded-snapshot.js";
import { mergeObservations, type ExecutorObservation } from "./executor-observation.js";
import { CancelledSignal } from "./executor.js";
import { ParallelJob, parallelPipelineModule } from "./parallel/parallel-job.js";
import { crossLanguageUnsupported } from "./planner.js";
import { runPlan, type RunControl } from "./run-plan.js";
import { handleSignalsFor } from "./job-signals.js";
import { checkpointSettings, type CheckpointSettings } from "./checkpoint/checkpoint-settings.js";
import type { CheckpointCoordinator } from "./checkpoint/checkpoint-coordinator.js";
import { removeRunningJob, writeRunningJob } from "./checkpoint/running-job-file.js";

/** Settings of the embedded runner, read from pipeline options. */
export interface EmbeddedRunnerSettings {
  /** Elements per bundle read from a materialized input (default 1000). */
  readonly bundleSize: number;
  /** How often a failed bundle is retried before the job fails (default 2). */
  readonly maxBundleRetries: number;
  /** Pre-combine Combine.perKey before the shuffle (default true). */
  readonly liftCombines: boolean;
  /** Run Combine.perKey and Reshuffle through their primitive expansions (default false). */
  readonly expandComposites: boolean;
  /** What keyed steps may hold before going through local disk (undefined: everything in memory). */
  readonly memoryBudget: MemoryBudget | undefined;
  /** Where spill files go. */
  readonly spillDir: string;
  /** Executors (this thread and worker threads) the job runs on (default 1). */
  readonly parallelism: number;
  /**
   * Fail a DoFn that changes its input, or a value after outputting it (default true; every
   * element of each PCollection up to 10,000 or 1 MiB of encodings, then one in 100). Beam DirectRunner's option.
   */
  readonly enforceImmutability: boolean;
  /**
   * Encode every element that crosses a materialized edge with its PCollection's coder and go
   * on with the decoded copy, so one thread behaves as many (default true). Beam DirectRunner's option.
   */
  readonly enforceEncodability: boolean;
  /** Checkpoints of unbounded jobs (`--checkpointDir` and friends); undefined: none. */
  readonly checkpoint: CheckpointSettings | undefined;
  /** How messages and checkpoints name the job: its --jobName, else the program's file. */
  readonly jobName: string;
}

/**
 * The embedded runner's memory budget (`--memoryBudget`): the bytes that the GroupByKeys,
 * Combines and stateful ParDos that can go through local disk share.
 */
export interface MemoryBudget {
  readonly bytes: number;
  /**
   * Whether the budget was given explicitly, which makes stateful ParDos go through the disk:
   * over bounded inputs they run sorted by key (their timers then fire after all of a key's
   * elements, a visible, valid difference); the others, and GroupByKeys and Combines that
   * do not go through the sort, keep their least recently used state on disk (cold state).
   * GroupByKeys and Combines give the same panes either way.
   */
  readonly sortsStatefulSteps: boolean;
}

/**
 * The most the default budget gives: past it, a table of live JS objects costs more in
 * garbage collection than sorting through the disk does. Measured on Nexmark at 10M events
 * (merging windows, 6 GB heap): Q9 290 s with half the heap, 113 s with 512 MiB; Q4 121 s
 * and 99 s.
 */
const DEFAULT_BUDGET_CAP = 512 * 2 ** 20;

/**
 * The budget without --memoryBudget: half of this thread's V8 heap limit (which Node sizes
 * from the machine's memory, or --max-old-space-size sets), at most 512 MiB, for
 * GroupByKeys and Combines only, as Flink gives its batch operators a fraction of the task
 * manager's memory.
 */
export function defaultMemoryBudget(): MemoryBudget {
  return { bytes: Math.min(DEFAULT_BUDGET_CAP, Math.floor(getHeapStatistics().heap_size_limit / 2)), sortsStatefulSteps: false };
}

/** `--memoryBudget`: none, a number of bytes, or a size such as 512MB or 1.5GB (binary units). */
function memoryBudgetOption(options: Readonly<Record<string, unknown>>, problems: string[]): MemoryBudget | undefined {
  const v = options["memoryBudget"];
  if (v === undefined || v === "") return defaultMemoryBudget();
  if (typeof v === "string" && v.trim().toLowerCase() === "none") return undefined;
  const bytes = typeof v === "number" ? (Number.isFinite(v) && v >= 1 ? Math.floor(v) : undefined) : typeof v === "string" ? parseByteSize(v) : undefined;
  if (bytes === undefined) {
    problems.push(`--memoryBudget must be a size such as 512MB or 2GB (or a number of bytes, or none), got ${String(v)}.`);
    return undefined;
  }
  return { bytes, sortsStatefulSteps: true };
}

function intOption(options: Readonly<Record<string, unknown>>, name: string, fallback: number, min: number, problems: string[]): number {
  const v = options[name] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    problems.push(`--${name} must be an integer >= ${min}, got ${String(v)}.`);
    return fallback;
  }
  return v;
}

/** A boolean option: true, false, or (from a plain record) the strings "true" and "false". */
function booleanOption(options: Readonly<Record<string, unknown>>, name: string, fallback: boolean, problems: string[]): boolean {
  const v = options[name];
  if (v === undefined || v === "") return fallback;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  problems.push(`--${name} must be true or false, got ${String(v)}.`);
  return fallback;
}

/**
 * `--tempLocation`: where spill files go, an existing directory this process can write to
 * (checked at submission, not when the first spill fails); the OS temp directory if unset.
 */
function spillDirOption(options: Readonly<Record<string, unknown>>, problems: string[]): string {
  const v = options["tempLocation"];
  if (v === undefined || v === "") return tmpdir();
  const dir = String(v);
  const resolved = path.isAbsolute(dir) ? "" : ` (${path.resolve(dir)})`;
  const omit = `leave out --tempLocation to use the OS temp directory (${tmpdir()})`;
  let problem: string | undefined;
  try {
    if (!statSync(dir).isDirectory()) problem = `not a directory${resolved}. Name a directory, or ${omit}.`;
    else accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem =
      code === "ENOENT" || code === "ENOTDIR"
        ? `no such directory${resolved}. Create it (mkdir -p ${JSON.stringify(dir)}) or ${omit}.`
        : `this directory${resolved} cannot be written to (${code ?? String(err)}). Make it writable, name another one, or ${omit}.`;
  }
  if (problem !== undefined) problems.push(`--tempLocation=${dir}: ${problem}`);
  return dir;
}

/** The embedded runner's settings with every problem in the options (empty when they are valid). */
function readSettings(options: Readonly<Record<string, unknown>>): { settings: EmbeddedRunnerSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: EmbeddedRunnerSettings = {
    bundleSize: intOption(options, "bundleSize", 1000, 1, problems),
    maxBundleRetries: intOption(options, "maxBundleRetries", 2, 0, problems),
    liftCombines: options["liftCombines"] !== false,
    expandComposites: options["expandComposites"] === true,
    memoryBudget: memoryBudgetOption(options, problems),
    spillDir: spillDirOption(options, problems),
    parallelism: intOption(options, "parallelism", 1, 1, problems),
    enforceImmutability: booleanOption(options, "enforceImmutability", true, problems),
    enforceEncodability: booleanOption(options, "enforceEncodability", true, problems),
    checkpoint: checkpointSettings(options, problems),
    jobName: typeof options["jobName"] === "string" && options["jobName"] !== "" ? options["jobName"] : path.basename(process.argv[1] ?? "job"),
  };
  return { settings, problems };
}

/** Reads the embedded runner's settings from pipeline options; an OptionsError lists every problem. */
export function embeddedSettings(options: Readonly<Record<string, unknown>>): EmbeddedRunnerSettings {
  const { settings, problems } = readSettings(options);
  if (problems.length === 1) throw new OptionsError(problems[0]!);
  if (problems.length > 1) throw new OptionsError(`Invalid pipeline options for the embedded runner:\n  ${problems.join("\n  ")}`);
  return settings;
}

/**
 * The default runner: executes the pipeline in this process. See docs/ARCHITECTURE.md for
 * how it plans, fuses and runs bundles.
 */
export class EmbeddedRunner implements Runner {
  readonly name = "embedded";

  /** The settings' problems, reported when options are parsed (`run()` checks them again). */
  checkOptions(options: Readonly<Record<string, unknown>>): readonly string[] {
    const module = pipelineModuleProblem(options);
    // --detached leaves a job running on a job service; an embedded job lives in this process.
    const detached =
      options["detached"] === true || options["detached"] === "true"
        ? ["--detached is for portable runners (the job runs on a job service without this process); the embedded runner runs the job in this process. Drop --detached, or submit with --runner=portable --jobEndpoint=host:port."]
        : [];
    return [...readSettings(options).problems, ...(module === undefined ? [] : [module]), ...detached];
  }

  run(pipeline: Pipeline): PipelineResult {
    // Unsupported is loud, at submission: a cross-language transform needs a portable runner.
    for (const t of pipeline.graph().transforms.values()) {
      if (t.primitive?.kind === "external") throw crossLanguageUnsupported(t.fullLabel, t.primitive.urn, t.primitive.expansionService);
    }
    const settings = embeddedSettings(pipeline.options);
    // Worker threads need the pipeline's module: a missing one is an error at submission.
    const module = runsInParallel(pipeline, settings) ? parallelPipelineModule(pipeline) : undefined;
    return new EmbeddedPipelineResult(pipeline, settings, module);
  }
}

/**
 * Whether a job runs on worker threads: `--parallelism` above 1, and no TestStream (it
 * plays one ordered script on one clock; such tests run on one thread).
 */
function runsInParallel(pipeline: Pipeline, settings: EmbeddedRunnerSettings): boolean {
  if (settings.parallelism <= 1) return false;
  for (const t of pipeline.graph().transforms.values()) if (t.primitive?.kind === "testStream") return false;
  return true;
}

/** How the terminal names a job: its --jobName, else the program's file. */
function jobNameOf(pipeline: Pipeline): string {
  const name = pipeline.options["jobName"];
  if (typeof name === "string" && name !== "") return `job "${name}"`;
  const entry = process.argv[1];
  return entry !== undefined ? `the job of ${path.basename(entry)}` : "the job";
}

/** A job of the embedded runner. It starts at once (on the next microtask). */
class EmbeddedPipelineResult implements PipelineResult {
  private currentState: JobState = "RUNNING";
  private cancelRequested = false;
  private drainRequested = false;
  private wake: (() => void) | undefined;
  private parallelJob: ParallelJob | undefined;
  private readonly done: Promise<JobState>;
  private readonly jobMetrics = new JobMetrics();
  /** Aborted by cancel(): executors stop waiting for user code at once. */
  private readonly cancelling = new AbortController();
  /** The job's checkpoint coordinator, once a streaming job with --checkpointDir started. */
  private coordinator: CheckpointCoordinator | undefined;
  /** Observes this thread's executor, once built. */
  private observeOwn: (() => ExecutorObservation) | undefined;
  private readonly startTime = Date.now();
  private endTime: number | undefined;
  private readonly pipeline: Pipeline;
  private readonly settings: EmbeddedRunnerSettings;

  /** `module`: the pipeline module worker threads import; undefined: one thread. */
  constructor(pipeline: Pipeline, settings: EmbeddedRunnerSettings, module: string | undefined) {
    this.pipeline = pipeline;
    this.settings = settings;
    // While it runs, the first SIGINT/SIGTERM drains the job and a second cancels it (job-signals.ts).
    const ended = handleSignalsFor({ name: jobNameOf(pipeline), drain: () => void this.drain(), cancel: () => void this.cancel() });
    // With checkpoints, SIGUSR2 takes a savepoint (`kill -USR2 <pid>`) and prints where it went.
    const onSavepointSignal = () =>
      void this.savepoint().then(
        (location) => process.stderr.write(`beam-ts: savepoint of ${jobNameOf(pipeline)} written to ${location}\n`),
        (err: unknown) => process.stderr.write(`beam-ts: no savepoint: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    if (settings.checkpoint !== undefined) process.on("SIGUSR2", onSavepointSignal);
    const stopped = () => {
      process.off("SIGUSR2", onSavepointSignal);
      if (this.coordinator !== undefined && settings.checkpoint !== undefined) removeRunningJob(settings.checkpoint.dir);
      ended();
    };
    this.done = this.execute(pipeline, settings, module);
    void this.done.then(stopped, stopped);
    // The job's outcome is delivered by waitUntilFinish; avoid an unhandled rejection
    // warning when the caller only inspects `state`.
    this.done.catch(() => {});
  }

  get state(): JobState {
    return this.currentState;
  }

  waitUntilFinish(): Promise<JobState> {
    return this.done;
  }

  async cancel(): Promise<JobState> {
    this.cancelRequested = true;
    this.parallelJob?.command({ kind: "cancel" });
    this.cancelling.abort();
    this.wake?.();
    try {
      return await this.done;
    } catch {
      return this.currentState;
    }
  }

  async drain(): Promise<JobState> {
    if (this.currentState === "RUNNING") this.currentState = "DRAINING";
    this.drainRequested = true;
    this.parallelJob?.command({ kind: "drain" });
    this.wake?.();
    try {
      return await this.done;
    } catch {
      return this.currentState;
    }
  }

  metrics() {
    return this.jobMetrics.results();
  }

  snapshot(): JobSnapshot {
    const own = this.observeOwn?.();
    const workers = this.parallelJob?.workerObservations() ?? [];
    const parts = own === undefined ? workers : [own, ...workers];
    return embeddedSnapshot({
      job: {
        name: this.settings.jobName,
        state: this.currentState,
        runner: "embedded",
        startTime: this.startTime,
        ...(this.endTime !== undefined ? { endTime: this.endTime } : {}),
      },
      graph: this.pipeline.graph(),
      observation: parts.length === 0 ? undefined : mergeObservations(parts),
      metrics: [this.jobMetrics.results(), ...(this.parallelJob?.workerMetrics() ?? [])],
      memoryBudgetBytes: this.settings.memoryBudget?.bytes,
      threads: this.settings.parallelism,
      reporting: (own === undefined ? 0 : 1) + (this.parallelJob?.reporting ?? 0),
      now: Date.now(),
      checkpointing: this.coordinator !== undefined,
    });
  }

  lineage(): LineageSnapshot {
    const store = this.jobMetrics.results();
    return { sources: Lineage.query(store, "sources"), sinks: Lineage.query(store, "sinks") };
  }

  async savepoint(): Promise<string> {
    await Promise.resolve();
    if (this.coordinator === undefined || this.currentState !== "RUNNING") {
      throw new OptionsError(
        this.currentState !== "RUNNING"
          ? `A savepoint needs a running job; this one is ${this.currentState}.`
          : "A savepoint needs a streaming job with --checkpointDir (the directory it goes to); this job takes no checkpoints.",
      );
    }
    return (await this.coordinator.savepoint()).location;
  }

  private async execute(pipeline: Pipeline, settings: EmbeddedRunnerSettings, module: string | undefined): Promise<JobState> {
    await Promise.resolve();
    try {
      const control: RunControl = {
        metrics: this.jobMetrics,
        isCancelled: () => this.cancelRequested,
        isDraining: () => this.drainRequested,
        useClock: (clock) => (this.wake = () => clock.wake()),
        cancelSignal: this.cancelling.signal,
        useCoordinator: (coordinator) => {
          this.coordinator = coordinator;
          // `beam-ts savepoint <pid>` checks this before it signals the process.
          if (settings.checkpoint !== undefined) writeRunningJob(settings.checkpoint.dir, settings.jobName);
        },
        checkpointStats: (stats) => this.jobMetrics.checkpointed(stats),
        useExecutor: (observe) => (this.observeOwn = observe),
      };
      if (module !== undefined) {
        this.parallelJob = new ParallelJob(pipeline, module, settings, control);
        await this.parallelJob.run();
      } else {
        await runPlan(pipeline.graph(), settings, control);
      }
      // Set before the state changes: an observer that sees DONE sees the end time too.
      this.endTime = Date.now();
      this.currentState = this.drainRequested ? "DRAINED" : "DONE";
      return this.currentState;
    } catch (err) {
      this.endTime = Date.now();
      if (err instanceof CancelledSignal) {
        this.currentState = "CANCELLED";
        return "CANCELLED";
      }
      this.currentState = "FAILED";
      const reason = err instanceof Error ? err.message : String(err);
      const failure = new JobFailedError(`Pipeline failed: ${reason}`, { cause: err, verbose: verboseFailures(pipeline.options) });
      if (err instanceof BeamError) Object.defineProperty(failure, "failureCode", { value: err.code });
      throw failure;
    }
  }
}
