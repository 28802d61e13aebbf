import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { handleSignalsForPortable, type SignalledPortableJob } from "./portable-signals.js";

/** A job whose cancels are counted; `accepted` says whether the runner answered one. */
function fakeJob(overrides: Partial<SignalledPortableJob> = {}): SignalledPortableJob & { cancels: number } {
  const job = {
    runner: "flink",
    ownsService: false,
    endpoint: () => "127.0.0.1:8099",
    jobId: () => "job-7",
    cancelAccepted: () => false,
    cancels: 0,
    cancel: () => void job.cancels++,
    ...overrides,
  };
  return job;
}

describe("signals on an attached portable job", () => {
  let saved: Map<"SIGINT" | "SIGTERM", NodeJS.SignalsListener[]>;
  let stderr: string[];
  let exit: MockInstance<typeof process.exit>;

  beforeEach(() => {
    // The handler installs itself only where nobody else listens: take the test runner's listeners away meanwhile.
    saved = new Map((["SIGINT", "SIGTERM"] as const).map((s) => [s, process.listeners(s)]));
    for (const s of saved.keys()) process.removeAllListeners(s);
    stderr = [];
    vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => (stderr.push(String(text)), true));
    exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    process.exitCode = undefined;
  });

  afterEach(() => {
    vi.restoreAllMocks();
    for (const s of ["SIGINT", "SIGTERM"] as const) process.removeAllListeners(s);
    for (const [s, listeners] of saved) for (const l of listeners) process.on(s, l);
    process.exitCode = undefined;
  });

  it("cancels the job on the first SIGINT, saying so, without exiting", () => {
    const job = fakeJob();
    const ended = handleSignalsForPortable(job);
    process.emit("SIGINT");
    expect({ cancels: job.cancels, exited: exit.mock.calls.length }).toEqual({ cancels: 1, exited: 0 });
    expect(stderr.join("")).toContain("Cancelling job job-7 on flink… press Ctrl-C again to exit without waiting");
    ended();
    expect(process.exitCode).toBe(130);
  });

  it("exits with 130 on the second SIGINT and says the job was left running when the cancel had not reached it", () => {
    const ended = handleSignalsForPortable(fakeJob());
    process.emit("SIGINT");
    process.emit("SIGINT");
    expect(exit).toHaveBeenCalledWith(130);
    expect(stderr.join("")).toContain("Exiting and leaving job job-7 running on flink at 127.0.0.1:8099");
    expect(stderr.join("")).toContain("beam-ts jobs cancel job-7 --jobEndpoint=127.0.0.1:8099");
    ended();
  });

  it("does not claim the job runs on when the runner already accepted the cancel", () => {
    const ended = handleSignalsForPortable(fakeJob({ cancelAccepted: () => true }));
    process.emit("SIGTERM");
    process.emit("SIGTERM");
    expect(exit).toHaveBeenCalledWith(143);
    expect(stderr.join("")).toContain("Exiting without waiting for job job-7 to end: flink at 127.0.0.1:8099 accepted its cancel");
    ended();
  });

  it("says a job service beam-ts started goes down with the client", () => {
    const ended = handleSignalsForPortable(fakeJob({ runner: "prism", ownsService: true }));
    process.emit("SIGINT");
    process.emit("SIGINT");
    expect(stderr.join("")).toContain("the prism job service beam-ts started stops with this process, and job job-7 with it");
    ended();
  });

  it("cancels a job still being submitted as soon as it is, and leaves the signals alone once the job ended", () => {
    const job = fakeJob({ jobId: () => undefined });
    const ended = handleSignalsForPortable(job);
    process.emit("SIGINT");
    expect(stderr.join("")).toContain("Cancelling the job on flink as soon as it is submitted");
    ended();
    expect(process.listenerCount("SIGINT")).toBe(0);
  });

  it("keeps a program's own SIGINT handler and adds none", () => {
    const own = () => {};
    process.on("SIGINT", own);
    const job = fakeJob();
    const ended = handleSignalsForPortable(job);
    expect(process.listeners("SIGINT")).toEqual([own]);
    ended();
  });
});
