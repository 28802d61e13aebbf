import { describe, expect, it } from "vitest";
import { runFixture } from "./child-process.js";

describe("SIGINT and SIGTERM while an embedded streaming job runs", () => {
  it("drains on the first SIGINT (the open window fires), says so on stderr, and exits with 130", async () => {
    const child = runFixture("streamingCount");
    await child.printed("started");
    child.process.kill("SIGINT");
    const exit = await child.exit;
    expect(exit.stderr).toMatch(/Draining the job of lifecycle-program\.ts… press Ctrl-C again to cancel\./);
    // Without the drain the process died at once and the hour-long window was lost.
    expect(exit.stdout).toContain("window fired: counted");
    expect(exit.stdout).toContain("state: DRAINED");
    expect(exit.code).toBe(130);
  }, 60_000);

  it("drains on SIGTERM and exits with 143, on two threads as on one", async () => {
    const child = runFixture("streamingCount", ["--parallelism=2", "--jobName=counts"]);
    await child.printed("started");
    child.process.kill("SIGTERM");
    const exit = await child.exit;
    expect(exit.stderr).toContain('Draining job "counts"… send SIGTERM again to cancel.');
    expect(exit.stdout).toContain("window fired: counted");
    expect(exit.stdout).toContain("state: DRAINED");
    expect(exit.code).toBe(143);
  }, 60_000);

  it("cancels on the second SIGINT when the drain waits for a call, and exits with 130", async () => {
    const child = runFixture("streamingSlowCall");
    await child.printed("started");
    child.process.kill("SIGINT");
    await child.warned("Draining");
    child.process.kill("SIGINT");
    const exit = await child.exit;
    expect(exit.stderr).toContain("Cancelling the job of lifecycle-program.ts…");
    expect(exit.stdout).toContain("state: CANCELLED");
    expect(exit.code).toBe(130);
  }, 60_000);
});
