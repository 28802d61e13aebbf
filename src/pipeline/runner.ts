import { ConstructionError } from "../model/index.js";
import type { MetricResults } from "../metrics/index.js";
import type { Pipeline } from "./pipeline.js";

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
   * +infinity so every open window fires, then the job ends as DRAINED.
   */
  drain(): Promise<JobState>;
  /** The job's metrics: committed values are those of successful bundles. */
  metrics(): MetricResults;
}

/** Runs pipelines. Runners register themselves; the construction API never imports one. */
export interface Runner {
  readonly name: string;
  run(pipeline: Pipeline): PipelineResult;
}

const runners = new Map<string, () => Runner>();

/** Makes a runner available to `--runner=<name>`. */
export function registerRunner(name: string, factory: () => Runner): void {
  runners.set(name, factory);
}

/** The runner registered under `name`. */
export function runnerFor(name: string): Runner {
  const factory = runners.get(name);
  if (factory === undefined) {
    const known = [...runners.keys()];
    throw new ConstructionError(
      `No runner named "${name}". Known runners: ${known.length ? known.join(", ") : "none registered"}. ` +
        `Import beam-ts (the package entry registers the embedded runner) or pass --runner=embedded.`,
    );
  }
  return factory();
}
