import type { PipelineOptionValues } from "./pipeline.js";

/**
 * What runs in every process or thread that runs a pipeline, with its options: in the
 * submitting process when `Pipeline.run()` is called, and in each worker (an embedded
 * runner's worker thread, an SDK harness) that rebuilds the pipeline, whose `run()` is
 * captured. Lower layers configure themselves from the options here without the runners
 * knowing them, as Beam Java's runners and harness call `FileSystems.setDefaultPipelineOptions`.
 */
export type PipelineRunListener = (options: PipelineOptionValues) => void;

const listeners: PipelineRunListener[] = [];

/**
 * Calls `listener` with a pipeline's options whenever a pipeline runs in this process or
 * thread, from now on (once per listener however often it is added).
 *
 * @example onPipelineRun((options) => setDefaultFileSystemOptions(options));
 */
export function onPipelineRun(listener: PipelineRunListener): void {
  if (!listeners.includes(listener)) listeners.push(listener);
}

/**
 * @internal Tells the listeners which options this process runs a pipeline with: called by
 * `Pipeline.run()` (submitted or captured), and by a worker entry with the submitter's own
 * options once it has them, which then win over the rebuilt pipeline's.
 */
export function notifyPipelineRun(options: PipelineOptionValues): void {
  for (const listener of listeners) listener(options);
}
