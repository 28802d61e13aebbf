import type { Pipeline } from "./pipeline.js";
import type { JobState, PipelineResult } from "./runner.js";

/**
 * What an observer does for one job it watches: `finished` runs when the job ended, before
 * `waitUntilFinish` settles (a final summary, a COMPLETE lineage event, closing a port).
 */
export interface JobObservation {
  finished(state: JobState, failure: unknown): Promise<void> | void;
}

/**
 * Watches jobs: given a pipeline that was just submitted and its result, starts whatever the
 * pipeline's options ask for (a metrics endpoint, a progress bar, lineage events) and
 * returns what to do at the end, or undefined when it has nothing to do. Observers read
 * `result.snapshot()` only, so they work with every runner. The package entry registers
 * beam-ts's observers (src/observe); the construction API never imports them.
 */
export type JobObserver = (pipeline: Pipeline, result: PipelineResult) => JobObservation | undefined;

const observers: JobObserver[] = [];

/** Adds an observer of every job submitted from now on. */
export function registerJobObserver(observer: JobObserver): void {
  if (!observers.includes(observer)) observers.push(observer);
}

/**
 * @internal Starts the registered observers for a submitted job. Returns `result` itself
 * when none watches it, else a result whose `waitUntilFinish` (and cancel, drain) settle
 * after every observer finished.
 */
export function observeJob(pipeline: Pipeline, result: PipelineResult): PipelineResult {
  const watching: JobObservation[] = [];
  for (const observer of observers) {
    const o = observer(pipeline, result);
    if (o !== undefined) watching.push(o);
  }
  return watching.length === 0 ? result : new ObservedResult(result, watching);
}

/** A result whose end waits for its observers; everything else is the runner's result. */
class ObservedResult implements PipelineResult {
  private readonly done: Promise<JobState>;

  constructor(
    private readonly inner: PipelineResult,
    observations: readonly JobObservation[],
  ) {
    const finish = async (state: JobState, failure: unknown) => {
      // An observer's own failure (a lineage endpoint down) must not change the job's outcome.
      await Promise.all(observations.map((o) => Promise.resolve().then(() => o.finished(state, failure)).catch(() => {})));
    };
    this.done = inner.waitUntilFinish().then(
      async (state) => {
        await finish(state, undefined);
        return state;
      },
      async (err: unknown) => {
        await finish(inner.state, err);
        throw err;
      },
    );
    this.done.catch(() => {});
    if (inner.savepoint !== undefined) this.savepoint = () => inner.savepoint!();
    if (inner.snapshot !== undefined) this.snapshot = () => inner.snapshot!();
    if (inner.lineage !== undefined) this.lineage = () => inner.lineage!();
  }

  readonly savepoint?: PipelineResult["savepoint"];
  readonly snapshot?: PipelineResult["snapshot"];
  readonly lineage?: PipelineResult["lineage"];

  get state(): JobState {
    return this.inner.state;
  }

  waitUntilFinish(): Promise<JobState> {
    return this.done;
  }

  async cancel(): Promise<JobState> {
    await this.inner.cancel();
    return this.settled();
  }

  async drain(): Promise<JobState> {
    await this.inner.drain();
    return this.settled();
  }

  metrics() {
    return this.inner.metrics();
  }

  private async settled(): Promise<JobState> {
    try {
      return await this.done;
    } catch {
      return this.inner.state;
    }
  }
}
