import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Pipeline, fixedWindows, generateSequence, map, windowInto } from "../../src/index.js";
import { writeText } from "../../src/io/text/index.js";
import { TwoPhaseCommitDoFn } from "../../src/transforms/two-phase-commit/two-phase-commit-write.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-streaming-restore-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Numbers 0..n-1, 10 ms of event time apart, in 1 s windows, written as lines by writeText. */
async function run(out: string, n: number, options: Record<string, unknown>): Promise<string> {
  const p = new Pipeline({ runner: "embedded", ...options });
  p.apply("Numbers", generateSequence({ from: 0, to: n, rate: { elements: 100, period: 100 }, timestamp: (x) => x * 10 }))
    .apply("Windows", windowInto(fixedWindows(1000)))
    .apply("Format", map((x: number) => String(x)))
    .apply("Write", writeText(path.join(out, "numbers"), { suffix: ".txt", numShards: 2 }));
  return p.run().waitUntilFinish();
}

describe("writeText of an unbounded input with checkpoints", () => {
  it("writes every line exactly once, each window's files once, across stops and restores", async () => {
    const recovered = vi.spyOn(TwoPhaseCommitDoFn.prototype, "recoverCommit");
    const n = 2000;
    const out = path.join(dir, "out");
    const base = { checkpointDir: path.join(dir, "checkpoints"), checkpointInterval: 20, restoreFrom: "latest" };
    let stops = 0;
    for (let k = 1; k <= 12; k++) {
      const state = await run(out, n, { ...base, stopAfterCheckpoint: 1 + (k % 3) });
      if (state === "DONE") break;
      expect(state).toBe("CANCELLED");
      stops++;
    }
    expect(stops).toBeGreaterThanOrEqual(3);
    // Stopped right after a checkpoint: its bundles' commits were left to the restored jobs.
    expect(recovered).toHaveBeenCalled();
    expect(await run(out, n, base)).toBe("DONE");

    const names = (await readdir(out)).filter((f) => !f.startsWith("."));
    const lines: number[] = [];
    const windows = new Set<string>();
    for (const name of names) {
      const m = /^numbers-(.+Z-.+Z)-0000[01]-of-00002\.txt$/.exec(name);
      expect(m, name).not.toBeNull();
      windows.add(m![1]!);
      const text = await readFile(path.join(out, name), "utf8");
      for (const l of text.replace(/\n$/, "").split("\n")) lines.push(Number(l));
    }
    expect(lines.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(windows.size).toBe((n * 10) / 1000);
    recovered.mockRestore();
  }, 60_000);
});
