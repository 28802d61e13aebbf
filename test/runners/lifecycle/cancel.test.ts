import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline } from "../../../src/index.js";
import { FIXTURES, FIXTURE_ENV, seen } from "./pipelines.js";

const MODULE = fileURLToPath(new URL("./lifecycle-program.ts", import.meta.url));

afterEach(() => {
  delete process.env[FIXTURE_ENV];
  seen.processed = 0;
});

/** Starts fixture `name`, waits until the main thread's DoFn saw an element, then cancels. */
async function cancelWhenRunning(name: string, options: Record<string, unknown> = {}) {
  process.env[FIXTURE_ENV] = name;
  const p = new Pipeline({ ...options });
  FIXTURES[name]!(p);
  const result = p.run();
  while (seen.processed === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const state = await result.cancel();
  return { state, processed: seen.processed };
}

describe("cancel() is bounded: it reaches sources and running bundles", () => {
  it("stops between the elements of a source read that would take 20 s (10,000 slow synchronous calls)", async () => {
    const { state, processed } = await cancelWhenRunning("slowSyncRead", { bundleSize: 10_000 });
    expect(state).toBe("CANCELLED");
    // Before, cancel() waited for the whole read: every one of its 10,000 elements.
    expect(processed).toBeLessThan(10_000);
  }, 60_000);

  it("stops waiting for async process calls that never settle", async () => {
    const { state } = await cancelWhenRunning("neverSettles");
    expect(state).toBe("CANCELLED");
  }, 60_000);

  it("cancels a job on two threads whose worker thread is stuck in a synchronous loop (terminated after a grace period)", async () => {
    const { state } = await cancelWhenRunning("stuckWorker", { parallelism: 2, pipelineModule: MODULE });
    expect(state).toBe("CANCELLED");
  }, 60_000);

  it("stops a job on two threads at once while its calls never settle", async () => {
    const { state } = await cancelWhenRunning("neverSettles", { parallelism: 2, pipelineModule: MODULE });
    expect(state).toBe("CANCELLED");
  }, 60_000);
});
