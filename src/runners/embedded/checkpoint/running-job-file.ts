import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * `<checkpointDir>/running-job.json`: which process is writing checkpoints into the folder,
 * while it runs. `beam-ts savepoint <pid>` reads it before it sends SIGUSR2, because SIGUSR2
 * ends a process that has no handler for it: only a beam-ts job that takes checkpoints into
 * that folder installs one. Written by the job when its checkpoint coordinator starts,
 * removed when the job ends (a job killed with -9 leaves it; the pid in it is then checked
 * against the living process).
 */
export const RUNNING_JOB_FILE = "running-job.json";

/** What the file says. */
export interface RunningJob {
  readonly pid: number;
  /** The job's name (--jobName, else its program's file name). */
  readonly job: string;
  /** When the job started (ISO 8601). */
  readonly startedAt: string;
}

/**
 * Records that this process writes checkpoints into `dir`. Written to a temporary name and
 * renamed, so a reader sees the whole file or none.
 *
 * @example
 * writeRunningJob("./checkpoints", "sessions");
 */
export function writeRunningJob(dir: string, job: string): void {
  const target = path.join(dir, RUNNING_JOB_FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  const record: RunningJob = { pid: process.pid, job, startedAt: new Date().toISOString() };
  writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  renameSync(tmp, target);
}

/**
 * Removes the record if it is still this process's (a later job may have taken the folder).
 *
 * @example
 * removeRunningJob("./checkpoints");
 */
export function removeRunningJob(dir: string): void {
  if (readRunningJob(dir)?.pid === process.pid) rmSync(path.join(dir, RUNNING_JOB_FILE), { force: true });
}

/**
 * The process recorded in `dir`, or undefined when there is none (or it is unreadable).
 *
 * @example
 * const running = readRunningJob("./checkpoints"); // { pid: 4242, job: "sessions", ... }
 */
export function readRunningJob(dir: string): RunningJob | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, RUNNING_JOB_FILE), "utf8")) as Partial<RunningJob>;
    if (typeof parsed.pid !== "number" || typeof parsed.job !== "string") return undefined;
    return { pid: parsed.pid, job: parsed.job, startedAt: String(parsed.startedAt ?? "") };
  } catch {
    return undefined;
  }
}
