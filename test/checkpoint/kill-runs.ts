// Running a job fixture in a child process and killing it with SIGKILL at a chosen point:
// the shared part of the failure-injection suites (failure-injection.test.ts with the
// checkpoint job, kafka-failure-injection.test.ts with Kafka).
import { spawn } from "node:child_process";
import fc from "fast-check";

/**
 * Where in the job a kill lands: after a delay, at a named point of the runner
 * (BEAM_TS_TEST_CRASH: an executor's snapshot, a checkpoint's write before its rename, a
 * held commit), or inside a windowed file write's commit, between two renames
 * (BEAM_TS_TEST_KILL_AT_PANE_COMMIT, src/io/files/pane-file-sink.ts).
 */
export type KillPoint =
  | { readonly afterMs: number }
  | { readonly at: "snapshot" | "write" | "commit"; readonly occurrence: number }
  | { readonly paneRename: number };

/**
 * Runs `fixture` (a TypeScript module printing `STATE <state>` when its job ends) once with
 * `args`; kills it with SIGKILL at `kill`. Resolves with the state, or "KILLED".
 */
export function runJob(fixture: string, args: readonly string[], kill: KillPoint | undefined, limitMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (kill !== undefined && "at" in kill) env["BEAM_TS_TEST_CRASH"] = `${kill.at}:${kill.occurrence}`;
    if (kill !== undefined && "paneRename" in kill) env["BEAM_TS_TEST_KILL_AT_PANE_COMMIT"] = String(kill.paneRename);
    // Node itself with tsx's loader (not tsx's CLI, which runs Node as a child that a kill would orphan).
    const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = kill !== undefined && "afterMs" in kill ? setTimeout(() => child.kill("SIGKILL"), kill.afterMs) : undefined;
    const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(limit);
      if (signal === "SIGKILL") return resolve("KILLED");
      const state = /STATE (\w+)/.exec(out)?.[1];
      if (code !== 0 || state === undefined) return reject(new Error(`job exited with code ${code}: ${err}`));
      resolve(state);
    });
  });
}

/**
 * Random kill points (fast-check, reproducible by `seed`): most after a delay in
 * [minMs, maxMs], some inside a checkpoint, its write, or a commit, and with `paneRenames`
 * some inside a windowed file write's commit.
 */
export function killPoints(seed: number, count: number, options: { readonly minMs: number; readonly maxMs: number; readonly paneRenames: boolean }): KillPoint[] {
  const delay = { weight: 3, arbitrary: fc.integer({ min: options.minMs, max: options.maxMs }).map((afterMs): KillPoint => ({ afterMs })) };
  const crash = {
    weight: 1,
    arbitrary: fc.record({ at: fc.constantFrom("snapshot" as const, "write" as const, "commit" as const), occurrence: fc.integer({ min: 1, max: 6 }) }).map((k): KillPoint => k),
  };
  const pane = { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((paneRename): KillPoint => ({ paneRename })) };
  return fc.sample(options.paneRenames ? fc.oneof(delay, crash, pane) : fc.oneof(delay, crash), { seed, numRuns: count });
}
