import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const PROGRAM = "test/fixtures/failing-pipeline.ts";
const FRAME = /^\s+at /m;

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs `node --import tsx <args>` from the repository root to its end. */
function node(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const { BEAM_TS_VERBOSE: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env: { ...inherited, ...env } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

/** What every printing of the fixture's failure shows: where, what, and the cause chain. */
function expectReported(exit: Exit): void {
  expect(exit.code, exit.stderr).not.toBe(0);
  expect(exit.stderr.match(/Pipeline failed: Transform "Parse" failed while processing element "not json"/g), exit.stderr).toHaveLength(1);
  expect(exit.stderr).toContain("permanent error, not retried");
  expect(exit.stderr).toMatch(/caused by: Error: record is not JSON: not json/);
  expect(exit.stderr).toMatch(/caused by: SyntaxError: Unexpected token/);
}

describe("printing a failed job", () => {
  it("prints a job that fails in a program's own `await pipeline.run().waitUntilFinish()` once, with its causes and no stack frames unless --verbose", async () => {
    const [plain, verbose] = await Promise.all([node([PROGRAM]), node([PROGRAM, "--verbose"])]);
    expectReported(plain);
    expect(plain.stderr).not.toMatch(FRAME);
    // Node's own dump would list the error's properties (code: 'JOB_FAILED') and its causes' frames.
    expect(plain.stderr).not.toContain("JOB_FAILED");
    expectReported(verbose);
    expect(verbose.stderr).toMatch(FRAME);
    expect(verbose.stderr).toContain("failing-pipeline.ts");
  }, 60_000);

  it("prints a job that fails under `beam-ts run` once, with its causes, and every stack with BEAM_TS_VERBOSE=1", async () => {
    const cli = "src/cli/main.ts";
    const [plain, verbose] = await Promise.all([node([cli, "run", PROGRAM]), node([cli, "run", PROGRAM], { BEAM_TS_VERBOSE: "1" })]);
    expectReported(plain);
    expect(plain.stderr).not.toMatch(FRAME);
    expect(plain.stderr.startsWith("JobFailedError: Pipeline failed:"), plain.stderr).toBe(true);
    expectReported(verbose);
    expect(verbose.stderr).toMatch(FRAME);
    expect(verbose.stderr).toContain("caused by: UserCodeError:");
  }, 60_000);
});
