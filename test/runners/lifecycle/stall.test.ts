import { describe, expect, it } from "vitest";
import { runFixture, type Exit } from "./child-process.js";

/** A stalled job fails with the step and the element(s) whose calls are pending, not exit code 13 in silence. */
function expectStallReported(exit: Exit, element: RegExp): void {
  expect(exit.code, exit.stderr).toBe(1);
  expect(exit.stderr).toMatch(/The job stalled: process of "Stall"/);
  expect(exit.stderr).toMatch(element);
  expect(exit.stderr).toContain("parDo(fn, { timeout: ms })");
  expect(exit.stdout).not.toContain("state:");
}

describe("a promise that never settles fails the job, naming the step and the element", () => {
  it("on one thread: fails at once instead of exiting with code 13 and printing nothing", async () => {
    const exit = await runFixture("stallOnSeven").exit;
    expectStallReported(exit, /on element 7\b/);
  }, 60_000);

  it("on two threads, when the stalled call is in a worker thread: fails instead of hanging", async () => {
    const exit = await runFixture("stallInWorker", ["--parallelism=2"]).exit;
    expectStallReported(exit, /on element \d+/);
    expect(exit.stderr).toContain("(in worker thread 1)");
  }, 60_000);

  it("on two threads, when the stalled call is in the main thread: fails instead of hanging", async () => {
    const exit = await runFixture("stallInMain", ["--parallelism=2"]).exit;
    expectStallReported(exit, /on element \d+/);
  }, 60_000);
});
