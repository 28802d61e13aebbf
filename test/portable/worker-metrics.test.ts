import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { startPrism } from "../../tools/runners/job-services.mjs";
import { cli } from "./cli.js";

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

/** Runs the fixture program with `beam-ts run`. */
const runFixture = (options: readonly string[]) => cli(["run", FIXTURE, ...options]);

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
