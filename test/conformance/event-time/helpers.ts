import {
  GLOBAL_WINDOW,
  Pipeline,
  combinePerKey,
  groupByKey,
  kv,
  map,
  reifyPanes,
  sum,
  testStream,
  windowInto,
  type BoundedWindow,
  type KV,
  type PCollection,
  type PipelineResult,
  type ReifiedElement,
  type WindowFn,
  type WindowIntoOptions,
} from "../../../src/index.js";
import type { RunnerUnderTest } from "../runners.js";

/** The output timestamp of a global-window pane under END_OF_WINDOW: the global window's maxTimestamp. */
export const GLOBAL_MAX = GLOBAL_WINDOW.maxTimestamp();

/** Grouped values sorted, so panes compare independently of arrival order. */
export const sortedValues = (e: KV<string, Iterable<number>>): KV<string, number[]> => kv(e.key, [...e.value].sort((a, b) => a - b));

/** One expected reified element, in the argument order of a table row. */
export function pane<T>(value: T, timestamp: number, window: string, paneInfo: string): ReifiedElement<T> {
  return { value, timestamp, window, pane: paneInfo };
}

/** TestStream script → windowInto → groupByKey → sorted values → reifyPanes. */
export function groupScript(
  p: Pipeline,
  script: string,
  windowFn: WindowFn<BoundedWindow>,
  options: WindowIntoOptions = {},
): PCollection<ReifiedElement<KV<string, number[]>>> {
  return p
    .apply(testStream<KV<string, number>>(script, { kv: true }))
    .apply(windowInto(windowFn, options))
    .apply(groupByKey<string, number>())
    .apply(map(sortedValues))
    .apply(reifyPanes());
}

/** TestStream script → windowInto → combinePerKey(sum) → reifyPanes. */
export function sumScript(
  p: Pipeline,
  script: string,
  windowFn: WindowFn<BoundedWindow>,
  options: WindowIntoOptions = {},
): PCollection<ReifiedElement<KV<string, number>>> {
  return p
    .apply(testStream<KV<string, number>>(script, { kv: true }))
    .apply(windowInto(windowFn, options))
    .apply(combinePerKey(sum()))
    .apply(reifyPanes());
}

/** Runs a pipeline built by `build` on `runner` and returns its result (for metrics). */
export async function runFor(
  runner: RunnerUnderTest,
  build: (p: Pipeline) => void,
  extraOptions: Readonly<Record<string, unknown>> = {},
): Promise<PipelineResult> {
  const p = new Pipeline({ ...runner.options, ...extraOptions });
  build(p);
  const result = p.run();
  await result.waitUntilFinish();
  return result;
}

/** The committed total of the counters named `name` (0 when none was reported). */
export function counter(result: PipelineResult, name: string): number {
  return result
    .metrics()
    .queryMetrics({ name })
    .counters.reduce((total, c) => total + Number(c.committed), 0);
}
