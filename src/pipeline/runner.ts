import { OptionsError } from "../model/index.js";
import { JobMetricsStore, type MetricResults } from "../metrics/index.js";
import type { Pipeline } from "./pipeline.js";
import type { JobSnapshot, LineageSnapshot } from "./job-snapshot.js";

/** The lifecycle states of a job, as in Beam's JobState. */
export type JobState = "RUNNING" | "DONE" | "FAILED" | "CANCELLED" | "DRAINING" | "DRAINED";

/** A running or finished pipeline. */
export interface PipelineResult {
  /** The current state. */
  readonly state: JobState;
  /** Resolves when the job ends; rejects with JobFailedError (the cause attached) on failure. */
  waitUntilFinish(): Promise<JobState>;
  /** Asks the job to stop at once; open windows are not fired. Resolves with the final state. */
  cancel(): Promise<JobState>;
  /**
   * Asks a streaming job to finish gracefully: sources stop reading, watermarks advance to
   * +infinity so every open window fires, then the job ends as DRAINED. Portable runners
   * use the Job API's Drain, and reject with an UnsupportedFeatureError (the job runs on)
   * where the job service has none: Prism's and Beam's Flink and Spark job servers.
   */
  drain(): Promise<JobState>;
  /** The job's metrics: committed values are those of successful bundles. */
  metrics(): MetricResults;
  /**
   * Takes a savepoint of a running streaming job (the embedded runner with --checkpointDir):
   * a checkpoint kept until removed by hand, which a changed pipeline can start from
   * (--restoreFrom). Resolves with its path once it is durable; the job goes on.
   */
  savepoint?(): Promise<string>;
  /**
   * What the runner knows about the job now: graph, per-step counts, watermarks, backlog,
   * spill, checkpoints, metrics and lineage (see JobSnapshot). Every observer (Prometheus,
   * progress, lineage events, the web page) reads this and nothing else.
   */
  snapshot?(): JobSnapshot;
  /** The datasets the job read and wrote so far, as Beam lineage names (`Lineage`). */
  lineage?(): LineageSnapshot;
}

/** Runs pipelines. Runners register themselves; the construction API never imports one. */
export interface Runner {
  readonly name: string;
  run(pipeline: Pipeline): PipelineResult;
  /**
   * The problems this runner finds in pipeline options that each parsed on its own (a
   * `--tempLocation` that is no directory, a missing `--jobEndpoint`), one sentence each,
   * naming the option and the fix. Parsing calls it for the selected runner, so
   * `parseOrExit` reports these with every other problem (exit code 2); secret options'
   * values arrive as "****". `run()` must still check options given as a plain record.
   */
  checkOptions?(options: Readonly<Record<string, unknown>>): readonly string[];
}

const runners = new Map<string, () => Runner>();

/** Makes a runner available to `--runner=<name>`. */
export function registerRunner(name: string, factory: () => Runner): void {
  runners.set(name, factory);
}

/** The names `--runner` accepts, in registration order. */
export function registeredRunnerNames(): string[] {
  return [...runners.keys()];
}

/** The runner registered under `name`; an OptionsError naming `--runner` if there is none. */
export function runnerFor(name: string): Runner {
  const factory = runners.get(name);
  if (factory === undefined) {
    const known = registeredRunnerNames();
    throw new OptionsError(
      `No runner named "${name}" (--runner=${name}). Known runners: ${known.length ? known.join(", ") : "none registered"}. ` +
        `Import beam-ts (the package entry registers the embedded runner) or pass --runner=embedded.`,
    );
  }
  return factory();
}

/** Receives a pipeline that `run()` handed over instead of running it (see `captureRuns`). */
export type RunCaptureHandler = (pipeline: Pipeline) => void;

let captureHandler: RunCaptureHandler | undefined;

/**
 * Worker mode: while a handler is installed, `Pipeline.run()` freezes the pipeline and hands
 * it to the handler instead of a runner, and returns a result that never finishes, so nothing
 * after `run()` executes (Beam Go's worker mode works the same way). The beam-ts worker entry
 * installs one before the user's pipeline module is evaluated, to rebuild the submitted
 * graph in a worker process (ARCHITECTURE.md, principle 4). Returns the uninstaller.
 *
 * @example
 * const uninstall = captureRuns((p) => serve(p.graph()));
 * await import("./my-pipeline.js"); // its p.run() lands in the handler
 */
export function captureRuns(handler: RunCaptureHandler): () => void {
  captureHandler = handler;
  return () => {
    if (captureHandler === handler) captureHandler = undefined;
  };
}

let runsStarted = 0;

/** @internal Counts a `Pipeline.run()` that submits (not a captured one); returns how many so far. */
export function countRun(): number {
  return ++runsStarted;
}

/** How many pipelines this thread submitted with `Pipeline.run()` (captured runs excluded). */
export function runsStartedInThisThread(): number {
  return runsStarted;
}

/** @internal The installed capture handler, if any (read by `Pipeline.run`). */
export function runCaptureHandler(): RunCaptureHandler | undefined {
  return captureHandler;
}

/**
 * @internal The problems the runner named by `options.runner` finds in `options` (its
 * `checkOptions`); none for an unknown runner (the `runner` option reports it) and none in
 * worker mode (`captureRuns`): a worker re-parses the submitter's command line, which the
 * submitter already checked, in an environment whose directories may differ.
 */
export function runnerOptionProblems(options: Readonly<Record<string, unknown>>): readonly string[] {
  if (captureHandler !== undefined) return [];
  const name = typeof options["runner"] === "string" ? options["runner"] : "embedded";
  const factory = runners.get(name);
  return factory?.().checkOptions?.(options) ?? [];
}

/**
 * The result of a captured run: the job runs elsewhere (this process serves it as a
 * worker), so it stays RUNNING and none of its promises ever settle.
 */
export class CapturedRunResult implements PipelineResult {
  readonly state: JobState = "RUNNING";
  private readonly store = new JobMetricsStore();

  waitUntilFinish(): Promise<JobState> {
    return new Promise<JobState>(() => {});
  }

  cancel(): Promise<JobState> {
    return new Promise<JobState>(() => {});
  }

  drain(): Promise<JobState> {
    return new Promise<JobState>(() => {});
  }

  metrics(): MetricResults {
    return this.store;
  }
}
