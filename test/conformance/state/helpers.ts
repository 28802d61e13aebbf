import { expect, it } from "vitest";
import { JobFailedError } from "../../../src/index.js";
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

/**
 * `it`, or `it.fails` on the runners named in `failsOn`: a scenario a runner genuinely
 * cannot do. Every use names the reason next to it.
 */
export function itOn(runner: RunnerUnderTest, failsOn: readonly string[]): typeof it | typeof it.fails {
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
