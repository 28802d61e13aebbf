import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { committedLines, expectedLines } from "./checkpoint-job.js";
import { killPoints, runJob, type KillPoint } from "./kill-runs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, "fixtures", "kill-job.ts");
const dirs: string[] = [];
// Thousands of small files (one per committed bundle of the job's own sink): removing them takes a while.
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 120_000);

const runCheckpointJob = (args: readonly string[], kill: KillPoint | undefined) => runJob(fixture, args, kill);
const points = (seed: number, count: number) => killPoints(seed, count, { minMs: 300, maxMs: 2500, paneRenames: true });

describe.each([1, 2])("failure injection at --parallelism %i", (parallelism) => {
  it("killed with SIGKILL at 20 random points and restored each time, the job's output equals the reference: no duplicates, no gaps", async () => {
    const n = 60_000;
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-kill-"));
    dirs.push(dir);
    const out = path.join(dir, "out");
    const args: string[] = [`--out=${out}`, `--n=${n}`, "--rate=2000", `--checkpointDir=${path.join(dir, "checkpoints")}`, "--checkpointInterval=100ms", "--restoreFrom=latest", `--parallelism=${parallelism}`];
    // At parallelism 2 the stateful step's entries go to its cold file after every bundle
    // (runtime/state/cold-tier.ts), so kills also land while state is on disk.
    if (parallelism === 2) args.push("--memoryBudget=1");
    // The source is paced by the wall clock (30 s of input in all, caught up after each
    // restart), so the job outlives 20 kills; a run whose kill point never came (the n-th
    // commit of a short run) simply finishes, and the loop moves to the next point.
    const kills = points(20261207 + parallelism, 40);
    let killed = 0;
    for (const kill of kills) {
      if (killed === 20) break;
      const state = await runCheckpointJob(args, kill);
      if (state === "KILLED") killed++;
      else expect(state).toBe("DONE");
    }
    expect(killed).toBe(20);
    expect(await runCheckpointJob(args, undefined)).toBe("DONE");
    console.log(`parallelism ${parallelism}: ${readdirSync(out).length} files of the job's own sink`);
    const lines = committedLines(out);
    const expected = expectedLines(n);
    expect(lines.length).toBe(expected.length);
    expect(lines).toEqual(expected);
    // No temporary file of a pane write is left once the job finished.
    expect(readdirSync(path.join(out, "sums")).filter((f) => !f.startsWith("part-"))).toEqual([]);
  }, 300_000);
});
