import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../src/index.js";
import { committedLines, expectedLines } from "./checkpoint-job.js";
import { runJob } from "./kill-runs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, "fixtures", "kill-job.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

/** The executor count of the newest checkpoint in `dir`. */
function newestParts(dir: string): number {
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith(".beamckpt"))
    .sort()
    .at(-1);
  expect(newest).toBeDefined();
  const file = path.join(dir, newest!);
  return decodeCheckpoint(new Uint8Array(readFileSync(file)), file).parts.length;
}

// The checkpoint job (paced sequence keyed three ways, a stateful running count written by
// a two-phase sink, a windowed sum written by windowed writeText) killed with SIGKILL after
// a few held commits (so after durable checkpoints), then restored at another --parallelism.
describe("restoring a checkpoint at another --parallelism (rescaling)", () => {
  it.each([
    [2, 1],
    [2, 3],
    [1, 2],
  ])("a job killed at --parallelism %i and restored at %i writes the reference output: no loss, no duplicates", async (from, to) => {
    const n = 4000;
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-rescale-"));
    dirs.push(dir);
    const out = path.join(dir, "out");
    const checkpointDir = path.join(dir, "checkpoints");
    const args = (parallelism: number) => [`--out=${out}`, `--n=${n}`, "--rate=2000", `--checkpointDir=${checkpointDir}`, "--checkpointInterval=100ms", "--restoreFrom=latest", `--parallelism=${parallelism}`];
    expect(await runJob(fixture, args(from), { at: "commit", occurrence: 60 })).toBe("KILLED");
    expect(newestParts(checkpointDir)).toBe(from);
    // Something is left to do: the kill came before the job's end.
    expect(committedLines(out).length).toBeLessThan(expectedLines(n).length);
    expect(await runJob(fixture, args(to), undefined)).toBe("DONE");
    expect(newestParts(checkpointDir)).toBe(to);
    const lines = committedLines(out);
    const expected = expectedLines(n);
    expect(lines.length).toBe(expected.length);
    expect(lines).toEqual(expected);
  }, 60_000);

  it("refuses a lower --parallelism for a step that names resources by its executor index (Kafka exactly-once), and allows a higher one", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-rescale-"));
    dirs.push(dir);
    const checkpointDir = path.join(dir, "checkpoints");
    const indexJob = path.join(here, "fixtures", "executor-index-job.ts");
    const args = (parallelism: number) => ["--n=3000", "--rate=2000", `--checkpointDir=${checkpointDir}`, "--checkpointInterval=100ms", "--restoreFrom=latest", `--parallelism=${parallelism}`];
    expect(await runJob(indexJob, args(2), { at: "write", occurrence: 6 })).toBe("KILLED");
    expect(newestParts(checkpointDir)).toBe(2);
    await expect(runJob(indexJob, args(1), undefined)).rejects.toThrow(/Step "NamedByExecutor" reads its executor index.*restored at --parallelism 1 from a checkpoint taken at 2.*Restore at --parallelism 2 or more/s);
    expect(await runJob(indexJob, args(3), undefined)).toBe("DONE");
  }, 60_000);
});
