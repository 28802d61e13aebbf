import { inject } from "vitest";
import { Pipeline } from "../../src/index.js";

/**
 * The runners the conformance suite runs against. Every scenario runs on each; portable
 * runners (Prism, Flink) join this list when they exist.
 */
export interface RunnerUnderTest {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

export const RUNNERS: readonly RunnerUnderTest[] = [
  { name: "embedded", options: { runner: "embedded" } },
  // Small bundles and primitive expansions of Combine.perKey and Reshuffle exercise bundle
  // boundaries and the paths a runner without these optimisations takes.
  { name: "embedded (bundleSize=2, expanded composites)", options: { runner: "embedded", bundleSize: 2, expandComposites: true } },
];

/** Prism (Beam's Go runner), started once per test run by test/job-services-setup.ts. */
export const PRISM: RunnerUnderTest = { name: "prism", options: { runner: "prism", jobEndpoint: inject("prismEndpoint") } };

/**
 * Flink (embedded local Flink behind Beam's Flink job server), started like Prism. Without
 * checkpoints (-1, Beam's default), as the scenarios and their pins were written: beam-ts
 * would give a job with an unbounded PCollection (every TestStream) a checkpoint interval,
 * and a checkpointing Flink job keeps its sources running, so a scenario would never end.
 */
export const FLINK: RunnerUnderTest = { name: "flink", options: { runner: "flink", jobEndpoint: inject("flinkEndpoint"), checkpointingInterval: -1 } };

/** Spark (local master behind Beam's Spark job server), started like Prism. */
export const SPARK: RunnerUnderTest = { name: "spark", options: { runner: "spark", jobEndpoint: inject("sparkEndpoint") } };

/**
 * Whether this run started the runner's job service (all of them in CI; see
 * test/job-services-setup.ts); always true for the embedded runner. Suites list every
 * runner and skip those not started (`describe.skipIf(!isStarted(runner))`), so a runner
 * that BEAM_TS_JOB_SERVICES left out shows as skipped under its name instead of vanishing.
 */
export function isStarted(runner: RunnerUnderTest): boolean {
  return runner.options["jobEndpoint"] !== "";
}

/**
 * Flink for event-time scenarios: TestStream needs Flink's streaming translation, which the
 * job server picks with Beam's `streaming` option.
 */
export const FLINK_STREAMING: RunnerUnderTest = { name: "flink", options: { ...FLINK.options, streaming: true } };

/**
 * Flink as the event-time suite submits to it: streaming, one element per bundle and one
 * parallel instance per operator, so that each GroupByKey sees a TestStream's elements and
 * watermarks in the script's order and a scenario's output does not depend on timing.
 *
 * With Beam's defaults (bundles of up to 1000 elements or 1 s, the cluster's parallelism)
 * it does. Beam's ExecutableStageDoFnOperator holds its input watermark at its value from
 * before the open bundle started (`applyInputWatermarkHold`) until the bundle finishes, so
 * elements after a `wm` line that join the open bundle reach the GroupByKey before that
 * watermark, or after it when the 1 s bundle timer fired in between; and a GroupByKey fed
 * by two parallel instances takes the least watermark of its channels, so an element after
 * a `wm` line on one channel can overtake the watermark on the other. With `maxBundleSize: 1`
 * DoFnOperator finishes the bundle inside processElement (`checkInvokeFinishBundleByCount`;
 * the SDK harness's outputs are emitted once the remote bundle closes) before it reads the
 * next element or watermark; `parallelism: 1` leaves one channel into each GroupByKey.
 * Beam's own portable Flink ValidatesRunner streaming task passes only `--parallelism=2
 * --streaming` (runners/flink/job-server/flink_job_server.gradle): these settings are the
 * suite's own. The runs that show the difference are in docs/PORTABLE_PINS.md ("Flink's
 * event-time scenarios").
 */
export const FLINK_EVENT_TIME: RunnerUnderTest = { name: "flink", options: { ...FLINK_STREAMING.options, maxBundleSize: 1, parallelism: 1 } };

/** The runners of the event-time suite (TestStream scenarios): the embedded ones, Prism and Flink (skip those not started: isStarted). */
export const EVENT_TIME_RUNNERS: readonly RunnerUnderTest[] = [...RUNNERS, PRISM, FLINK_EVENT_TIME];

/**
 * The embedded runner with a memory budget so small that every GroupByKey that can spill
 * writes a run per element: the batch suite's groupings go through the disk.
 */
export const EMBEDDED_SPILLING: RunnerUnderTest = { name: "embedded (memoryBudget=1 byte)", options: { runner: "embedded", memoryBudget: 1 } };

/** The runners of the batch suite: the embedded ones, Prism, Flink and Spark (skip those not started: isStarted). */
export const BATCH_RUNNERS: readonly RunnerUnderTest[] = [...RUNNERS, EMBEDDED_SPILLING, PRISM, FLINK, SPARK];

/** Builds a pipeline with `build` on the runner and waits for it. */
export async function runOn(
  runner: RunnerUnderTest,
  build: (p: Pipeline) => void,
  extraOptions: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const p = new Pipeline({ ...runner.options, ...extraOptions });
  build(p);
  await p.run().waitUntilFinish();
}

/**
 * Runners that fail a job on its first bundle failure instead of retrying the bundle:
 * Prism, Flink (which restarts whole jobs from checkpoints, not bundles; the job server
 * runs without a restart strategy) and Spark (the portable Spark runner fails the job). Scenarios that need bundle retries are pinned there.
 */
export const NO_BUNDLE_RETRIES: ReadonlySet<string> = new Set(["prism", "flink", "spark"]);
