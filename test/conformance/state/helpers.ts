import { expect, it } from "vitest";
import { JobFailedError, UnsupportedFeatureError } from "../../../src/index.js";
import { FLINK_STREAMING, PRISM, RUNNERS, type RunnerUnderTest } from "../runners.js";

/**
 * The runners of the state and timer suite: the embedded ones, Prism and Flink (streaming
 * mode; when this run started them), whose state and timers go through the beam-ts SDK harness (user state over
 * the Fn API state channel, timers over the data channel).
 */
export const STATE_RUNNERS: readonly RunnerUnderTest[] = [PRISM, FLINK_STREAMING].reduce<RunnerUnderTest[]>(
  (all, r) => (r.options["jobEndpoint"] !== "" ? [...all, r] : all),
  [...RUNNERS],
);

type Scenario = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/**
 * `it`; on the runners named in `failsOn`, `it.fails` (the runner does it differently from
 * Beam's model); on those in `unsupportedOn`, a check that the portable runner refuses the
 * pipeline with an UnsupportedFeatureError before submitting it (the runner cannot do it
 * at all; runners/portable/runner-capabilities.ts). Every use names the reason next to it.
 */
export function itOn(runner: RunnerUnderTest, failsOn: readonly string[], unsupportedOn: readonly string[] = []): Scenario {
  if (unsupportedOn.includes(runner.name)) {
    return (name, fn, timeout) => it(name, () => expect(fn()).rejects.toBeInstanceOf(UnsupportedFeatureError), timeout);
  }
  return failsOn.includes(runner.name) ? it.fails : it;
}

/** Awaits a run that must fail and returns its JobFailedError (message includes the cause). */
export async function failure(promise: Promise<unknown>): Promise<JobFailedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(JobFailedError);
    return err as JobFailedError;
  }
  throw new Error("expected the pipeline to fail");
}

/** The whole message chain of an error and its causes, for matching. */
export function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (parts.length > 10) break;
  }
  return parts.join(" <- ");
}

/** Numbers sorted ascending and joined, for order-independent bag reads. */
export const sortedJoin = (xs: Iterable<number>): string => [...xs].sort((a, b) => a - b).join(",");

/** The pane of outputs of a stateful DoFn's callbacks and of elements that never went through a trigger. */
export const NO_FIRING = "UNKNOWN#0/0 first last";
