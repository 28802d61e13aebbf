import { PRISM, RUNNERS, type RunnerUnderTest } from "../runners.js";

/**
 * The runners of the splittable-DoFn suites: the embedded ones and Prism (which expands a
 * splittable ParDo into Beam's SDF steps for our harness), when this run started Prism.
 * Flink runs these SDFs too (checked by hand), but its batch mode rejects bundle
 * finalization, ignores resume delays and never splits dynamically: not in the suite yet.
 */
export const SDF_RUNNERS: readonly RunnerUnderTest[] = [...RUNNERS, ...(PRISM.options["jobEndpoint"] !== "" ? [PRISM] : [])];

/** Whether `runner` is a portable runner (the SDF runs in the Fn API harness). */
export function isPortable(runner: RunnerUnderTest): boolean {
  return runner.options["runner"] !== "embedded";
}
