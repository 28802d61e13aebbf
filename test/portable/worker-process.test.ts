import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { cli, startWorkerPool, type Exit } from "./cli.js";

/**
 * Workers in their own processes: the pipeline program is run as a program (as a user
 * would, with `beam-ts run`), its module is bundled and staged, and the runner starts
 * workers through `beam-ts boot` (PROCESS) or a `beam-ts worker-pool` (EXTERNAL). The
 * fixture's DoFn records the pid of the process it ran in.
 */

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const prism = inject("prismEndpoint");
const flink = inject("flinkEndpoint");

const tmp = mkdtempSync(path.join(os.tmpdir(), "beam-ts-worker-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the word-count fixture; returns the submitter's pid and the recorded lines. */
async function runWordPids(name: string, options: readonly string[]): Promise<{ submitter: number; lines: string[]; exit: Exit }> {
  const output = path.join(tmp, `${name}.txt`);
  const exit = await cli(["run", path.join(FIXTURES, "word-pids.ts"), `--output=${output}`, ...options]);
  const submitter = Number(/submitter pid=(\d+) state=DONE/.exec(exit.stdout)?.[1] ?? NaN);
  let lines: string[] = [];
  try {
    lines = readFileSync(output, "utf8").trim().split("\n");
  } catch {
    // No output: the assertions below show the exit.
  }
  return { submitter, lines, exit };
}

function expectWordCounts(result: { submitter: number; lines: string[]; exit: Exit }, notPids: readonly number[]): void {
  expect(result.exit, result.exit.stderr).toMatchObject({ code: 0 });
  expect(result.submitter).toBeGreaterThan(0);
  const counts = result.lines.map((l) => l.replace(/ pid=\d+$/, "")).sort();
  expect(counts).toEqual(["a=1", "cat=2", "hat=1", "the=2"]);
  const pids = new Set(result.lines.map((l) => Number(/pid=(\d+)$/.exec(l)?.[1])));
  for (const pid of pids) {
    expect(pid).toBeGreaterThan(0);
    expect(notPids).not.toContain(pid);
  }
}

describe("workers in their own processes, with the pipeline module staged as an esbuild bundle", () => {
  it("runs the DoFns in a worker process that Prism started with beam-ts boot (PROCESS)", async () => {
    const result = await runWordPids("process", ["--runner=prism", `--jobEndpoint=${prism}`, "--environmentType=PROCESS"]);
    expectWordCounts(result, [process.pid, result.submitter]);
  }, 180_000);

  it("runs the DoFns in a worker process of a beam-ts worker-pool (EXTERNAL)", async () => {
    const pool = await startWorkerPool();
    try {
      const result = await runWordPids("external", ["--runner=prism", `--jobEndpoint=${prism}`, "--environmentType=EXTERNAL", `--environmentConfig=${pool.endpoint}`]);
      expectWordCounts(result, [process.pid, result.submitter, pool.child.pid!]);
    } finally {
      await pool.stop();
    }
  }, 180_000);

  it("fails the job, naming the first differing transform, when the worker builds a different pipeline", async () => {
    // The label comes from a variable only the submitter has: Prism's workers see another.
    const exit = await cli(
      ["run", path.join(FIXTURES, "env-label.ts"), "--runner=prism", `--jobEndpoint=${prism}`, "--environmentType=PROCESS"],
      { BEAM_TS_FIXTURE_LABEL: "submitter" },
    );
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('the first transform that differs is "Scale-submitter"');
    expect(exit.stderr).toContain('worker:    "Scale-unset"');
    expect(exit.stderr).toMatch(/Pipeline construction must be deterministic/);
  }, 180_000);

  it("runs the DoFns in a worker process that Flink started with beam-ts boot (PROCESS)", async () => {
    const result = await runWordPids("flink-process", ["--runner=flink", `--jobEndpoint=${flink}`, "--environmentType=PROCESS"]);
    expectWordCounts(result, [process.pid, result.submitter]);
  }, 300_000);
});
