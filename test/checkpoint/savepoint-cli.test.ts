import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { savepointCommand } from "../../src/cli/savepoint-command.js";
import { decodeCheckpoint } from "../../src/index.js";
import { RUNNING_JOB_FILE } from "../../src/runners/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/endless-job.ts", import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "beam-ts-savepoint-cli-"));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Starts the endless job in its own process and waits until it has recorded itself in `dir`. */
async function startJob(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, dir], { stdio: ["ignore", "ignore", "pipe"] });
  cleanups.push(() => void child.kill("SIGKILL"));
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!existsSync(path.join(dir, RUNNING_JOB_FILE))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the job did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await savepointCommand(args, (t) => (out += t));
  return { code, out };
}

describe("beam-ts savepoint <pid>", () => {
  it("signals the job recorded in its checkpoint folder and prints the savepoint it wrote; the job goes on", async () => {
    const dir = tempDir();
    const child = await startJob(dir);
    const { code, out } = await run([String(child.pid), `--checkpointDir=${dir}`]);
    expect(code).toBe(0);
    const written = out.trim();
    expect(path.dirname(written)).toBe(dir);
    expect(path.basename(written)).toMatch(/^svp-\d{6}\.beamckpt$/);
    const header = decodeCheckpoint(readFileSync(written), written).header;
    expect(header).toMatchObject({ kind: "savepoint", job: "endless" });
    expect(child.exitCode).toBeNull();
    expect(JSON.parse(readFileSync(path.join(dir, RUNNING_JOB_FILE), "utf8"))).toMatchObject({ pid: child.pid, job: "endless" });
  }, 40_000);

  it("refuses, signalling nothing, a pid that is not the folder's job, a folder without a job, and a stale record", async () => {
    const dir = tempDir();
    await expect(run(["12345", `--checkpointDir=${dir}`])).rejects.toThrow(/no beam-ts job is taking checkpoints into .* \(it has no running-job\.json\)/);
    // This test's own process: refused because the record names another, so it is never signalled.
    writeFileSync(path.join(dir, RUNNING_JOB_FILE), JSON.stringify({ pid: 2 ** 22 + 17, job: "gone", startedAt: "" }));
    await expect(run([String(process.pid), `--checkpointDir=${dir}`])).rejects.toThrow(new RegExp(`belongs to job "gone", process ${2 ** 22 + 17}, not process ${process.pid}`));
    await expect(run([String(2 ** 22 + 17), `--checkpointDir=${dir}`])).rejects.toThrow(/is not running; .*running-job\.json is left from a job that ended or was killed/);
  });

  it("reports usage errors with the usage text and exit code 2 for no arguments", async () => {
    expect((await run([])).code).toBe(2);
    await expect(run(["abc", "--checkpointDir=/nonexistent-beam-ts"])).rejects.toThrow(/process id must be a positive integer.*no such directory.*Usage: beam-ts savepoint/s);
  });
});
