import { describe, expect, it } from "vitest";
import { PermanentError, TransientError, UserCodeError } from "../../model/index.js";
import { Pipeline } from "../../pipeline/index.js";
import { create, map } from "../../transforms/index.js";
import { JobMetrics } from "./bundle-metrics.js";
import { embeddedSettings } from "./embedded-runner.js";
import { CancelledSignal } from "./executor.js";
import { runPlan } from "./run-plan.js";

/**
 * Runs a one-element pipeline whose "Fails" step throws `fail()` on every attempt, with a
 * recording sleep in place of the backoff timer: resolves to the attempts made, the
 * backoffs asked for, and the error the job failed with.
 */
async function failing(fail: () => unknown, options: { maxBundleRetries?: number; cancelOnSleep?: boolean } = {}) {
  let attempts = 0;
  const sleeps: number[] = [];
  let cancelled = false;
  const p = new Pipeline();
  p.apply(create(["x"])).apply(
    "Fails",
    map((s: string) => {
      attempts++;
      throw fail();
      return s;
    }),
  );
  const settings = embeddedSettings({ maxBundleRetries: options.maxBundleRetries ?? 3 });
  const error = await runPlan(p.graph(), settings, {
    metrics: new JobMetrics(),
    isCancelled: () => cancelled,
    isDraining: () => false,
    useClock: () => {},
    sleep: (ms) => {
      sleeps.push(ms);
      if (options.cancelOnSleep === true) cancelled = true;
      return Promise.resolve();
    },
  }).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { attempts, sleeps, error };
}

describe("bundle retries of the embedded runner", () => {
  it("attempts a bundle that throws a PermanentError once, and says it was not retried", async () => {
    const { attempts, sleeps, error } = await failing(() => new PermanentError("record 7 has no id"));
    expect(attempts).toBe(1);
    expect(sleeps).toEqual([]);
    expect(error).toBeInstanceOf(UserCodeError);
    expect((error as Error).message).toContain("(failed once; permanent error, not retried: it is a PermanentError)");
  });

  it("does not retry a bug in user code (a TypeError)", async () => {
    const { attempts, error } = await failing(() => new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(attempts).toBe(1);
    expect((error as Error).message).toMatch(/failed once; permanent error, not retried: a TypeError is a bug in code/);
  });

  it("retries a transient failure up to --maxBundleRetries, with growing backoffs between attempts", async () => {
    const { attempts, sleeps, error } = await failing(() => new Error("socket hang up"), { maxBundleRetries: 3 });
    expect(attempts).toBe(4);
    expect(sleeps).toHaveLength(3);
    // 100, 200, 400 ms, each spread by ±50% jitter.
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(150);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(300);
    expect(sleeps[2]).toBeGreaterThanOrEqual(200);
    expect(sleeps[2]).toBeLessThanOrEqual(600);
    expect((error as Error).message).toContain("(failed 4 times; transient error, retried with backoff up to --maxBundleRetries=3)");
  });

  it("retries a TransientError even when it wraps an error that looks permanent", async () => {
    const { attempts } = await failing(() => new TransientError("upstream throttled", { cause: new TypeError("fetch failed") }), {
      maxBundleRetries: 1,
    });
    expect(attempts).toBe(2);
  });

  it("ends the job as cancelled when it is cancelled during a backoff", async () => {
    const { attempts, sleeps, error } = await failing(() => new Error("socket hang up"), { cancelOnSleep: true });
    expect(attempts).toBe(1);
    expect(sleeps).toHaveLength(1);
    expect(error).toBeInstanceOf(CancelledSignal);
  });
});
