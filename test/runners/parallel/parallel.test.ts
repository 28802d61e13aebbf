import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { OptionsError, Pipeline, generateSequence, map, type MetricQueryResults } from "../../../src/index.js";
import { assertThat, testStream } from "../../../src/testing/index.js";
import { FIXTURES, FIXTURE_ENV } from "./pipelines.js";

const MODULE = fileURLToPath(new URL("./pipeline-module.ts", import.meta.url));

afterEach(() => {
  delete process.env[FIXTURE_ENV];
  delete process.env["BEAM_TS_PARALLEL_WORKER_FIXTURE"];
  delete process.env["BEAM_TS_PARALLEL_WORKER_DELAY_MS"];
});

/** Runs fixture `name` in this thread and one worker thread; returns the job's metrics. */
async function runFixture(name: string, options: Record<string, unknown> = {}): Promise<MetricQueryResults> {
  process.env[FIXTURE_ENV] = name;
  const p = new Pipeline({ parallelism: 2, pipelineModule: MODULE, ...options });
  FIXTURES[name]!(p);
  const result = p.run();
  await result.waitUntilFinish();
  return result.metrics().queryMetrics({});
}

/** How many threads committed work in a step marked with `threadsOf(namespace)`. */
function threads(metrics: MetricQueryResults, namespace: string): number {
  const sets = metrics.stringSets.filter((s) => s.namespace === namespace);
  return new Set(sets.flatMap((s) => [...s.committed])).size;
}

describe("--parallelism: the embedded runner on worker threads", () => {
  it("groups by key across threads: every key's values meet in one thread, and both threads do work", async () => {
    const metrics = await runFixture("groupAndSum");
    expect(threads(metrics, "group")).toBe(2);
    const startup = metrics.gauges.find((g) => g.name === "threadStartupMillis");
    expect(startup?.committed.value).toBeGreaterThan(0);
  }, 60_000);

  it("shares a splittable source's pieces on demand: both threads read a slow source, each piece once", async () => {
    const metrics = await runFixture("slowSource");
    expect(threads(metrics, "source")).toBe(2);
  }, 60_000);

  it("gives code in worker threads its own file's import.meta.url, not the bundle's", async () => {
    const metrics = await runFixture("importMetaUrl");
    expect(threads(metrics, "source")).toBe(2);
  }, 60_000);

  it("starts reading before the worker threads are ready: a late worker leaves the pieces to the others", async () => {
    // With fixed shares, the worker would read half of the source whenever it started.
    process.env["BEAM_TS_PARALLEL_WORKER_DELAY_MS"] = "3000";
    const metrics = await runFixture("fastSource");
    expect(threads(metrics, "source")).toBe(1);
  }, 60_000);

  it("runs a lifted Combine.perKey and a singleton side input (broadcast to every thread)", async () => {
    await runFixture("combineWithSideInput");
  }, 60_000);

  it("keeps each key's state and timers in one thread, with windows and watermarks crossing threads", async () => {
    const metrics = await runFixture("statefulWindows");
    expect(threads(metrics, "state")).toBe(2);
  }, 60_000);

  it("joins class instances across threads with CoGroupByKey, each input in its own coder", async () => {
    await runFixture("joinReadings");
  }, 60_000);

  it("spreads a Reshuffle's elements over the threads", async () => {
    const metrics = await runFixture("reshuffled");
    expect(threads(metrics, "reshuffle")).toBe(2);
  }, 60_000);

  it("starts a processing-time trigger's delay when elements arrive from another thread, not at time 0", async () => {
    await runFixture("processingTimeTrigger");
  }, 60_000);

  it("fails the job with the failing element's error, whichever thread ran it", async () => {
    await expect(runFixture("failing", { maxBundleRetries: 0 })).rejects.toThrow(/element 777 is not welcome/);
  }, 60_000);

  it("fails the job when an assertion fails in a worker thread", async () => {
    await expect(runFixture("wrongAssertion")).rejects.toThrow(/Size|containsInAnyOrder|expected/i);
  }, 60_000);

  it("refuses a worker that rebuilt a different pipeline, naming the first transform that differs", async () => {
    process.env["BEAM_TS_PARALLEL_WORKER_FIXTURE"] = "reshuffled";
    await expect(runFixture("groupAndSum")).rejects.toThrow(/rebuilt a different pipeline[\s\S]*first transform that differs/);
  }, 60_000);

  it("needs a pipeline module when the program's entry is a tool (here: the test runner)", () => {
    const p = new Pipeline({ parallelism: 2 });
    p.apply(generateSequence({ from: 0, to: 10 })).apply(map((i: number) => i));
    expect(() => p.run()).toThrow(OptionsError);
  });

  it("runs a job with a TestStream on one thread (its script plays on one clock)", async () => {
    const p = new Pipeline({ parallelism: 2 });
    const out = p.apply(testStream<number>("1@1s 2@2s | wm 10s | 3@3s")).apply(map((i: number) => i * 10));
    assertThat(out).containsInAnyOrder([10, 20, 30]);
    await p.run().waitUntilFinish();
  });
});
