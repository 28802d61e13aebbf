import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { committedLines, expectedLines } from "./checkpoint-job.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, "fixtures", "kill-job.ts");
const dirs: string[] = [];
// Thousands of small files (one per committed bundle of the job's own sink): removing them takes a while.
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 120_000);

/**
 * Where in the job a kill lands: after a delay, at a named point of the runner
 * (BEAM_TS_TEST_CRASH: an executor's snapshot, a checkpoint's write before its rename, a
 * held commit), or inside a windowed file write's commit, between two renames
 * (BEAM_TS_TEST_KILL_AT_PANE_COMMIT, src/io/files/pane-file-sink.ts).
 */
type KillPoint =
  | { readonly afterMs: number }
  | { readonly at: "snapshot" | "write" | "commit"; readonly occurrence: number }
  | { readonly paneRename: number };

/** Runs the job once; kills it with SIGKILL at `kill`. Resolves with its final state line, or "KILLED". */
function runJob(args: readonly string[], kill: KillPoint | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (kill !== undefined && "at" in kill) env["BEAM_TS_TEST_CRASH"] = `${kill.at}:${kill.occurrence}`;
    if (kill !== undefined && "paneRename" in kill) env["BEAM_TS_TEST_KILL_AT_PANE_COMMIT"] = String(kill.paneRename);
    // Node itself with tsx's loader (not tsx's CLI, which runs Node as a child that a kill would orphan).
    const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = kill !== undefined && "afterMs" in kill ? setTimeout(() => child.kill("SIGKILL"), kill.afterMs) : undefined;
    const limit = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(limit);
      if (signal === "SIGKILL") return resolve("KILLED");
      const state = /STATE (\w+)/.exec(out)?.[1];
      if (code !== 0 || state === undefined) return reject(new Error(`job exited with code ${code}: ${err}`));
      resolve(state);
    });
  });
}

/** Random kill points: most after a delay, some inside a checkpoint, its write, or a commit. */
const killPoints = (seed: number, count: number): KillPoint[] =>
  fc.sample(
    fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 300, max: 2500 }).map((afterMs) => ({ afterMs })) },
      { weight: 1, arbitrary: fc.record({ at: fc.constantFrom("snapshot" as const, "write" as const, "commit" as const), occurrence: fc.integer({ min: 1, max: 6 }) }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((paneRename) => ({ paneRename })) },
    ),
    { seed, numRuns: count },
  );

describe.each([1, 2])("failure injection at --parallelism %i", (parallelism) => {
  it("killed with SIGKILL at 20 random points and restored each time, the job's output equals the reference: no duplicates, no gaps", async () => {
    const n = 60_000;
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-kill-"));
    dirs.push(dir);
    const out = path.join(dir, "out");
    const args = [`--out=${out}`, `--n=${n}`, "--rate=2000", `--checkpointDir=${path.join(dir, "checkpoints")}`, "--checkpointInterval=100ms", "--restoreFrom=latest", `--parallelism=${parallelism}`];
    // The source is paced by the wall clock (30 s of input in all, caught up after each
    // restart), so the job outlives 20 kills; a run whose kill point never came (the n-th
    // commit of a short run) simply finishes, and the loop moves to the next point.
    const kills = killPoints(20261207 + parallelism, 40);
    let killed = 0;
    for (const kill of kills) {
      if (killed === 20) break;
      const state = await runJob(args, kill);
      if (state === "KILLED") killed++;
      else expect(state).toBe("DONE");
    }
    expect(killed).toBe(20);
    expect(await runJob(args, undefined)).toBe("DONE");
    console.log(`parallelism ${parallelism}: ${readdirSync(out).length} files of the job's own sink`);
    const lines = committedLines(out);
    const expected = expectedLines(n);
    expect(lines.length).toBe(expected.length);
    expect(lines).toEqual(expected);
    // No temporary file of a pane write is left once the job finished.
    expect(readdirSync(path.join(out, "sums")).filter((f) => !f.startsWith("part-"))).toEqual([]);
  }, 300_000);
});
