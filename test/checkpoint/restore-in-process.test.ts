import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, decodeCheckpoint } from "../../src/index.js";
import { buildCheckpointJob, committedLines, expectedLines } from "./checkpoint-job.js";
import { readFileSync } from "node:fs";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "beam-ts-checkpoint-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(outDir: string, options: Record<string, unknown>, n: number): Promise<string> {
  const p = new Pipeline({ enforceImmutability: false, ...options });
  buildCheckpointJob(p, outDir, n, 1_000);
  return p.run().waitUntilFinish();
}

describe("checkpoints and restore on one executor", () => {
  it.each([
    ["in memory", {}],
    // Every entry of the stateful step goes to its cold file after each bundle (cold-tier.ts).
    ["with state on disk (--memoryBudget=1)", { memoryBudget: 1 }],
  ])("a job stopped right after its checkpoints and restored each time writes every line exactly once: %s", async (_, extra) => {
    const n = 3000;
    const dir = tempDir();
    const out = path.join(dir, "out");
    const checkpointDir = path.join(dir, "checkpoints");
    const base = { checkpointDir, checkpointInterval: 20, restoreFrom: "latest", ...extra };
    let stops = 0;
    for (let k = 1; k <= 12; k++) {
      const state = await run(out, { ...base, stopAfterCheckpoint: 1 + (k % 3) }, n);
      if (state === "DONE") break;
      expect(state).toBe("CANCELLED");
      stops++;
    }
    expect(stops).toBeGreaterThanOrEqual(5);
    expect(await run(out, base, n)).toBe("DONE");
    expect(committedLines(out)).toEqual(expectedLines(n));
    const files = readdirSync(checkpointDir).filter((f) => f.endsWith(".beamckpt"));
    expect(files.length).toBeLessThanOrEqual(3);
    const newest = decodeCheckpoint(readFileSync(path.join(checkpointDir, files.sort().at(-1)!)), "newest");
    expect(newest.header.finished).toBe(true);
    expect(newest.header.stages.map((s) => s.label)).toEqual(expect.arrayContaining(["RunningCount", "Sum"]));
  }, 60_000);
});
