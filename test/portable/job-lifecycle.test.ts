import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { Pipeline, UnsupportedFeatureError, generateSequence, map } from "../../src/index.js";
import { PortableRunner } from "../../src/runners/portable/portable-runner.js";
import { EmbeddedRunner } from "../../src/runners/embedded/embedded-runner.js";
import { cancelJob, isTerminal, jobStatus, listJobs } from "../../src/runners/portable/job-control.js";
import { ROOT } from "./cli.js";

/**
 * The life of a portable job from the user's side (issue #27): `--detached`, `beam-ts
 * jobs list|status|cancel|drain|logs`, Ctrl-C on an attached job, and the job services
 * beam-ts starts itself going away with the client on every exit path. The command runs
 * from source (tsx), as `beam-ts` would after a build, against the Prism job service
 * test/job-services-setup.ts started, or one it starts itself (`--runner=prism`).
 */

const prism = inject("prismEndpoint");
const flink = inject("flinkEndpoint");
const FIXTURE = path.join(import.meta.dirname, "fixtures", "lifecycle-job.ts");

/** A running `beam-ts <args>` (from source): its output so far and its end. */
interface Client {
  readonly child: ChildProcess;
  output(): string;
  stdout(): string;
  /** Resolves with the first match of `re` in stdout+stderr (rejects if the client exits first). */
  waitFor(re: RegExp): Promise<RegExpExecArray>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function beamTs(args: readonly string[], env: NodeJS.ProcessEnv = {}): Client {
  // Notices ("job <id> running on …") are what the tests read: not quiet.
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, BEAM_TS_QUIET: "", ...env },
  });
  let out = "";
  let stdout = "";
  const waiters: (() => void)[] = [];
  const feed = (d: Buffer, isStdout: boolean) => {
    out += d.toString();
    if (isStdout) stdout += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on("data", (d: Buffer) => feed(d, true));
  child.stderr!.on("data", (d: Buffer) => feed(d, false));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let exited = false;
  void exit.then(() => {
    exited = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exit,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) resolve(m);
          else if (exited) reject(new Error(`beam-ts exited before printing ${re}:\n${out}`));
          else waiters.push(check);
        };
        check();
      }),
  };
}

/** Runs `beam-ts <args>` to its end. */
async function beamTsDone(args: readonly string[]): Promise<{ code: number | null; output: string; stdout: string }> {
  const client = beamTs(args);
  const { code } = await client.exit;
  return { code, output: client.output(), stdout: client.stdout() };
}

/** Polls the job's state until `done(state)` (the runner's own pace; no fixed sleeps decide anything). */
async function stateWhen(endpoint: string, jobId: string, done: (state: string) => boolean): Promise<string> {
  for (;;) {
    const { state } = await jobStatus(endpoint, jobId);
    if (done(state)) return state;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Resolves once `pid` is gone; the test's timeout fails it otherwise. */
async function gone(pid: number): Promise<boolean> {
  while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
  return true;
}

describe.skipIf(prism === "")("detached submission and beam-ts jobs, on Prism", () => {
  it("returns once the job is submitted, printing its id; the job is listed and runs to DONE", async () => {
    const run = await beamTsDone(["run", FIXTURE, "--runner=portable", `--jobEndpoint=${prism}`, "--environmentType=PROCESS", "--detached", "--jobName=lifecycle-batch"]);
    expect(run.code, run.output).toBe(0);
    const jobId = new RegExp(`job (\\S+) submitted to the runner at ${prism} and left running \\(--detached\\)`).exec(run.output)?.[1];
    expect(jobId, run.output).toBeDefined();
    expect(run.output).toContain(`beam-ts jobs cancel ${jobId} --jobEndpoint=${prism}`);
    // The program goes on at once: its waitUntilFinish resolved with the state at hand-over.
    expect(run.stdout).toContain("state=RUNNING");

    const list = await beamTsDone(["jobs", "list", `--jobEndpoint=${prism}`, "--json"]);
    expect(list.code, list.output).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ jobId, jobName: "lifecycle-batch", runner: "portable" }));

    expect(await stateWhen(prism, jobId!, isTerminal)).toBe("DONE");
    const status = await beamTsDone(["jobs", "status", jobId!, `--jobEndpoint=${prism}`]);
    expect(status.stdout.split("\n")[1]!.split(/\s+/)).toEqual([jobId, "lifecycle-batch", "DONE", "portable"]);

    const logs = await beamTsDone(["jobs", "logs", jobId!, `--jobEndpoint=${prism}`]);
    expect(logs.code, logs.output).toBe(0);
    expect(logs.stdout).toContain("state DONE");
    expect(logs.stdout.trimEnd().split("\n").at(-1)).toBe(`job ${jobId} is DONE`);
  }, 180_000);

  it("cancels a running unbounded job with `jobs cancel`, after refusing `jobs drain` without cancelling it", async () => {
    const run = await beamTsDone(["run", FIXTURE, "--forever", "--runner=portable", `--jobEndpoint=${prism}`, "--environmentType=PROCESS", "--detached"]);
    expect(run.code, run.output).toBe(0);
    const jobId = /job (\S+) submitted to/.exec(run.output)![1]!;
    try {
      expect(await stateWhen(prism, jobId, (s) => s !== "STOPPED" && s !== "STARTING")).toBe("RUNNING");

      const drain = await beamTsDone(["jobs", "drain", jobId, `--jobEndpoint=${prism}`]);
      expect(drain.code).toBe(1);
      expect(drain.output).toContain(`does not implement Beam's Job API Drain`);
      expect(drain.output).toContain(`job ${jobId} cannot be drained there; it is still running, nothing was cancelled`);
      expect((await jobStatus(prism, jobId)).state).toBe("RUNNING");

      const cancel = await beamTsDone(["jobs", "cancel", jobId, `--jobEndpoint=${prism}`, "--json"]);
      expect(cancel.code, cancel.output).toBe(0);
      expect(JSON.parse(cancel.stdout)).toMatchObject({ jobId, state: "CANCELLED" });
      expect((await jobStatus(prism, jobId)).state).toBe("CANCELLED");
    } finally {
      await cancelJob(prism, jobId);
    }
  }, 180_000);

  it("names the job service and how to list its jobs for a job it does not know", async () => {
    const status = await beamTsDone(["jobs", "status", "no-such-job", `--jobEndpoint=${prism}`]);
    expect(status.code).toBe(1);
    expect(status.output).toContain(`The job service at ${prism} has no job "no-such-job". List its jobs with \`beam-ts jobs list --jobEndpoint=${prism}\``);
  }, 60_000);

  it("rejects a portable result's drain() with UnsupportedFeatureError and leaves the job running", async () => {
    const p = new Pipeline({ runner: "portable", jobEndpoint: prism, jobName: "lifecycle-drain-refused" });
    p.apply(generateSequence({ rate: { elements: 5, period: 1000 } })).apply("Double", map((n: number) => n * 2));
    const result = p.run();
    try {
      const error = await result.drain().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnsupportedFeatureError);
      expect((error as Error).message).toMatch(/does not implement Beam's Job API Drain .* it is still running, nothing was cancelled/);
      const job = (await listJobs(prism)).find((j) => j.jobName === "lifecycle-drain-refused")!;
      expect(job.state).toBe("RUNNING");
      expect(result.state).toBe("RUNNING");
    } finally {
      expect(await result.cancel()).toBe("CANCELLED");
    }
  }, 120_000);
});

describe.skipIf(flink === "")("beam-ts jobs on Flink's job server", () => {
  it("refuses a drain, leaving the job running, and cancels it with a second client", async () => {
    const client = beamTs(["run", FIXTURE, "--forever", "--runner=flink", `--jobEndpoint=${flink}`, "--jobName=lifecycle-flink"]);
    try {
      const jobId = (await client.waitFor(/job (\S+) running on flink at /))[1]!;
      expect(await stateWhen(flink, jobId, (s) => s !== "STOPPED" && s !== "STARTING")).toBe("RUNNING");
      const drain = await beamTsDone(["jobs", "drain", jobId, `--jobEndpoint=${flink}`]);
      expect(drain.code).toBe(1);
      expect(drain.output).toContain(`The flink job service at ${flink} does not implement Beam's Job API Drain`);
      expect((await jobStatus(flink, jobId)).state).toBe("RUNNING");
      const cancel = await beamTsDone(["jobs", "cancel", jobId, `--jobEndpoint=${flink}`, "--json"]);
      expect(JSON.parse(cancel.stdout), cancel.output).toMatchObject({ jobId, jobName: "lifecycle-flink", state: "CANCELLED", runner: "flink" });
      // The attached client sees its job end as the runner reports it.
      expect((await client.exit).code, client.output()).toBe(0);
      expect(client.stdout()).toContain("state=CANCELLED");
    } finally {
      client.child.kill("SIGKILL");
    }
  }, 240_000);
});

describe("--detached is refused where the job could not outlive the client", () => {
  const runner = new PortableRunner();

  it("refuses the embedded runner, whose job lives in the client", () => {
    expect(new EmbeddedRunner().checkOptions({ runner: "embedded", detached: true })).toContainEqual(expect.stringMatching(/--detached is for portable runners/));
  });

  it("refuses a job service beam-ts would start, naming the option to use", () => {
    expect(runner.checkOptions({ runner: "prism", detached: true, environmentType: "PROCESS" })).toContainEqual(
      expect.stringMatching(/--detached needs --jobEndpoint: the prism job service --runner=prism starts stops with this process/),
    );
  });

  it("refuses LOOPBACK workers, which run in the client", () => {
    expect(runner.checkOptions({ runner: "portable", jobEndpoint: "127.0.0.1:8099", detached: true })).toContainEqual(
      expect.stringMatching(/--detached cannot run LOOPBACK workers .* Use --environmentType=PROCESS, EXTERNAL .* or DOCKER/),
    );
    expect(runner.checkOptions({ runner: "portable", jobEndpoint: "127.0.0.1:8099", detached: true, environmentType: "PROCESS" })).toEqual([]);
  });
});

describe.skipIf(prism === "")("Ctrl-C on an attached job", () => {
  it("cancels the job on the runner at the first SIGINT: a second client sees it CANCELLED", async () => {
    const client = beamTs(["run", FIXTURE, "--forever", "--runner=portable", `--jobEndpoint=${prism}`]);
    const jobId = (await client.waitFor(/job (\S+) running on the runner at /))[1]!;
    expect((await jobStatus(prism, jobId)).state).toBe("RUNNING");
    client.child.kill("SIGINT");
    const { code } = await client.exit;
    expect(client.output()).toContain(`Cancelling job ${jobId} on the runner… press Ctrl-C again to exit without waiting`);
    expect(client.stdout()).toContain("state=CANCELLED");
    expect(code).toBe(130);
    expect((await jobStatus(prism, jobId)).state).toBe("CANCELLED");
  }, 120_000);
});

describe("a job service beam-ts starts stops with the client", () => {
  /** Runs the fixture on a Prism beam-ts starts; returns the client and the job service's pid. */
  async function onOwnPrism(flags: readonly string[]): Promise<{ client: Client; pid: number }> {
    const client = beamTs(["run", FIXTURE, "--runner=prism", ...flags]);
    const pid = Number((await client.waitFor(/started a prism job service at \S+ \(pid (\d+)\) for this job; it stops with this process/))[1]);
    expect(alive(pid)).toBe(true);
    return { client, pid };
  }

  it("when the job is DONE", async () => {
    const { client, pid } = await onOwnPrism([]);
    expect((await client.exit).code, client.output()).toBe(0);
    expect(client.stdout()).toContain("state=DONE");
    expect(await gone(pid)).toBe(true);
  }, 180_000);

  it("when the job fails", async () => {
    const { client, pid } = await onOwnPrism(["--fail"]);
    expect((await client.exit).code, client.output()).toBe(1);
    expect(client.output()).toContain("failing on");
    expect(await gone(pid)).toBe(true);
  }, 180_000);

  for (const [signal, exitCode] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`on ${signal}, after cancelling the job`, async () => {
      const { client, pid } = await onOwnPrism(["--forever"]);
      const jobId = (await client.waitFor(/job (\S+) running on prism at /))[1]!;
      client.child.kill(signal);
      expect((await client.exit).code, client.output()).toBe(exitCode);
      expect(client.output()).toContain(`Cancelling job ${jobId} on prism…`);
      expect(client.stdout()).toContain("state=CANCELLED");
      expect(await gone(pid)).toBe(true);
    }, 180_000);
  }

  it("on an uncaught exception in the program", async () => {
    const { client, pid } = await onOwnPrism(["--forever", "--crash"]);
    await client.waitFor(/job \S+ running on prism at /);
    client.child.kill("SIGUSR2");
    expect((await client.exit).code, client.output()).toBe(1);
    expect(client.output()).toContain("uncaught exception as asked (--crash)");
    expect(await gone(pid)).toBe(true);
  }, 180_000);
});
