import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { JobServiceConnection } from "../../src/runners/portable/job-client.js";
import { startPrism } from "../../tools/runners/job-services.mjs";
import { PIN_REASONS } from "../conformance/portable-pins.js";
import { cli, startWorkerPool, type Exit } from "./cli.js";

/**
 * Metrics of workers in their own processes reach the submitter's `result.metrics()`
 * through the runner: the harness reports each bundle's MonitoringInfos, the runner
 * aggregates them, and the submitter reads them with GetJobMetrics after the job, mapping
 * the runner's transform ids back to beam-ts step names. Their logs (and console output) go
 * to the runner's logging service.
 */

const FIXTURE = path.join(import.meta.dirname, "fixtures", "word-metrics.ts");
const prism = inject("prismEndpoint");
const flink = inject("flinkEndpoint");
const spark = inject("sparkEndpoint");

/** Runs the fixture program with `beam-ts run`; `announce` lets it say the job's id (tests run it quiet). */
const runFixture = (options: readonly string[], { announce = false } = {}) =>
  cli(["run", FIXTURE, ...options], announce ? { BEAM_TS_QUIET: "0" } : {});

/** What the fixture printed of `result.metrics()` (see fixtures/word-metrics.ts), once it ran to DONE. */
function summaryOf(exit: Exit): Record<string, unknown> & { attempted: Record<string, unknown> } {
  expect(exit, exit.stderr).toMatchObject({ code: 0 });
  const line = /metrics=(.*)/.exec(exit.stdout)?.[1];
  expect(line, exit.stdout).toBeDefined();
  const m = JSON.parse(line!) as Record<string, unknown> & { attempted: Record<string, unknown> };
  expect(m["state"]).toBe("DONE");
  return m;
}

/** The runner's id of the job the fixture ran, from the line `beam-ts run` announces it with. */
const jobIdOf = (exit: Exit) => /job (\S+) running on/.exec(exit.stdout + exit.stderr)?.[1] ?? "";

const SIX_WORDS = { count: 6, sum: 16, min: 1, max: 3, mean: 16 / 6 };
const WORDS = ["a", "cat", "hat", "the"];

describe("metrics of workers in their own processes", () => {
  it("reports a PROCESS worker's counter, distribution, gauge and string set on Prism through result.metrics()", async () => {
    const exit = await runFixture(["--runner=prism", `--jobEndpoint=${prism}`, "--environmentType=PROCESS"]);
    expect(exit, exit.stderr).toMatchObject({ code: 0 });
    const line = /metrics=(.*)/.exec(exit.stdout)?.[1];
    expect(line, exit.stdout).toBeDefined();
    const m = JSON.parse(line!) as Record<string, unknown[]>;
    expect(m["state"]).toBe("DONE");
    expect(m["counters"]).toEqual([["Outer/Measure", "seen", 6, 6]]);
    expect(m["distributions"]).toEqual([["Outer/Measure", "length", { count: 6, sum: 16, min: 1, max: 3, mean: 16 / 6 }]]);
    expect(m["gauges"]).toHaveLength(1);
    expect([1, 3]).toContain((m["gauges"]![0] as unknown[])[2]);
    expect(m["stringSets"]).toEqual([["Outer/Measure", "distinct", ["a", "cat", "hat", "the"]]]);
  }, 180_000);

  it("reports a PROCESS worker's counter on Flink through result.metrics()", async () => {
    const exit = await runFixture(["--runner=flink", `--jobEndpoint=${flink}`, "--environmentType=PROCESS"]);
    expect(exit, exit.stderr).toMatchObject({ code: 0 });
    const m = JSON.parse(/metrics=(.*)/.exec(exit.stdout)?.[1] ?? "{}") as Record<string, unknown[]>;
    expect(m["counters"], exit.stdout).toEqual([["Outer/Measure", "seen", 6, 6]]);
    expect(m["distributions"]).toEqual([["Outer/Measure", "length", { count: 6, sum: 16, min: 1, max: 3, mean: 16 / 6 }]]);
  }, 300_000);

  it("sends a PROCESS worker's console output and the harness's records to Prism's logging service", async () => {
    // A Prism of its own, to read its log afterwards.
    const own = await startPrism();
    try {
      const exit = await runFixture(["--runner=prism", `--jobEndpoint=${own.endpoint}`, "--environmentType=PROCESS"]);
      expect(exit, exit.stderr).toMatchObject({ code: 0 });
      expect(exit.stdout + exit.stderr).not.toContain("measured the word");
      const lines = readFileSync(own.logFile, "utf8").split("\n");
      expect(lines.find((l) => l.includes("measured the word hat"))).toMatch(/"level":"WARN"/);
      expect(lines.some((l) => l.includes("beam-ts boot: started worker"))).toBe(true);
      expect(lines.some((l) => l.includes("serving the pipeline"))).toBe(true);
    } finally {
      await own.stop();
    }
  }, 180_000);
});

/**
 * Spark's job server answers GetJobMetrics with the workers' MonitoringInfos as *attempted*
 * only (pinned: S_COMMITTED_METRICS). LOOPBACK workers are the submitter's own harness, which
 * records each bundle's metrics itself, committed when the bundle succeeded; workers in their
 * own processes are seen only through the runner, so on Spark they have attempted values and
 * no committed ones. A Spark that reports committed values turns the pinned tests red.
 */
describe.skipIf(spark === "")("metrics of workers on Spark", () => {
  const pinned = PIN_REASONS["S_COMMITTED_METRICS"];

  /** Asserts Spark's attempted-only answer, as GetJobMetrics gives it and as result.metrics() reads it. */
  async function expectAttemptedOnly(exit: Exit): Promise<void> {
    const m = summaryOf(exit);
    expect(m["counters"], pinned).toEqual([["Outer/Measure", "seen", 0, 6]]);
    expect(m["distributions"], pinned).toEqual([["Outer/Measure", "length", { count: 0, sum: 0, min: null, max: null, mean: null }]]);
    expect(m["stringSets"], pinned).toEqual([["Outer/Measure", "distinct", []]]);
    expect(m.attempted["distributions"]).toEqual([["Outer/Measure", "length", SIX_WORDS]]);
    expect([1, 3]).toContain((m.attempted["gauges"] as unknown[][])[0]?.[2]);
    expect(m.attempted["stringSets"]).toEqual([["Outer/Measure", "distinct", WORDS]]);
    // The cause is in the runner's answer, not in how beam-ts reads it.
    const jobId = jobIdOf(exit);
    expect(jobId, exit.stderr).not.toBe("");
    const job = new JobServiceConnection(spark);
    try {
      const results = await job.metrics(jobId);
      expect(results, `GetJobMetrics of ${jobId}`).toBeDefined();
      expect(results!.committed, pinned).toEqual([]);
      const user = results!.attempted.filter((i) => i.urn.startsWith("beam:metric:user:")).map((i) => `${i.urn} ${i.labels["NAME"]}`);
      expect(user.sort()).toEqual([
        "beam:metric:user:distribution_int64:v1 length",
        "beam:metric:user:latest_int64:v1 last",
        "beam:metric:user:set_string:v1 distinct",
        "beam:metric:user:sum_int64:v1 seen",
      ]);
    } finally {
      job.close();
    }
  }

  it("reports a LOOPBACK worker's metrics as committed and attempted: the submitter's harness records its bundles", async () => {
    const m = summaryOf(await runFixture(["--runner=spark", `--jobEndpoint=${spark}`, "--environmentType=LOOPBACK"]));
    expect(m["counters"]).toEqual([["Outer/Measure", "seen", 6, 6]]);
    expect(m["distributions"]).toEqual([["Outer/Measure", "length", SIX_WORDS]]);
    expect(m["stringSets"]).toEqual([["Outer/Measure", "distinct", WORDS]]);
    expect(m.attempted["distributions"]).toEqual([["Outer/Measure", "length", SIX_WORDS]]);
  }, 180_000);

  it("reports a PROCESS worker's metrics as attempted only, as Spark's job server gives them (pinned)", async () => {
    await expectAttemptedOnly(await runFixture(["--runner=spark", `--jobEndpoint=${spark}`, "--environmentType=PROCESS"], { announce: true }));
  }, 180_000);

  it("reports an EXTERNAL worker's metrics as attempted only, as Spark's job server gives them (pinned)", async () => {
    const pool = await startWorkerPool();
    try {
      const options = ["--runner=spark", `--jobEndpoint=${spark}`, "--environmentType=EXTERNAL", `--environmentConfig=${pool.endpoint}`];
      await expectAttemptedOnly(await runFixture(options, { announce: true }));
    } finally {
      await pool.stop();
    }
  }, 180_000);
});
