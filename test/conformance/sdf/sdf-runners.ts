import { expect, it } from "vitest";
import { UnsupportedFeatureError } from "../../../src/index.js";
import { FLINK, FLINK_STREAMING, PRISM, RUNNERS, type RunnerUnderTest } from "../runners.js";

/** Flink's streaming translation, named apart from its batch one in this suite's pins. */
const FLINK_SDF_STREAMING: RunnerUnderTest = { name: "flink streaming", options: FLINK_STREAMING.options };

/**
 * The runners of the splittable-DoFn suites: the embedded ones, Prism (which expands a
 * splittable ParDo into Beam's SDF steps for our harness) and Flink in batch and streaming
 * mode, those of them this run started.
 */
export const SDF_RUNNERS: readonly RunnerUnderTest[] = [
  ...RUNNERS,
  ...[PRISM, FLINK, FLINK_SDF_STREAMING].filter((r) => r.options["jobEndpoint"] !== ""),
];

/** Whether `runner` is a portable runner (the SDF runs in the Fn API harness). */
export function isPortable(runner: RunnerUnderTest): boolean {
  return runner.options["runner"] !== "embedded";
}

/** Whether `runner` is Flink, in either mode. */
export function isFlink(runner: RunnerUnderTest): boolean {
  return runner.options["runner"] === "flink";
}

// Why a splittable-DoFn scenario is pinned on a runner (Flink 1.19, Beam 2.70.0).
export const F_BATCH_FINALIZATION = "Flink's batch mode rejects bundle finalization (apache/beam#19526)";
export const F_STREAMING_FINALIZATION =
  "Flink's streaming mode finalizes a bundle when a checkpoint completes, and checkpointing is off unless --checkpointingInterval is set";
export const F_RESUME_DELAY = "Flink reschedules a residual at once, without the delay the SDF asked for";
export const F_NO_SPLITS = "Flink sends no split requests to a running bundle, so a restriction is never split while it runs";
export const F_BATCH_WINDOW_ORDER =
  "Flink's batch mode has no watermark while the job runs: every window fires at the end of the input, in no particular order";

type Scenario = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/**
 * `it`, or, on a runner named in `pins` (runner name → reason), `it.fails`: the runner does
 * this differently. On a runner named in `unsupported`, the scenario asserts that the
 * portable runner refuses the pipeline before submission with an UnsupportedFeatureError.
 */
export function sdfIt(runner: RunnerUnderTest, pins: Readonly<Record<string, string>>, unsupported: readonly string[] = []): Scenario {
  if (unsupported.includes(runner.name)) {
    return (name, fn, timeout) => it(name, () => expect(fn()).rejects.toBeInstanceOf(UnsupportedFeatureError), timeout);
  }
  return pins[runner.name] !== undefined ? it.fails : it;
}
