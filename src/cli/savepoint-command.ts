/**
 * `beam-ts savepoint <pid> --checkpointDir=<dir>`: asks a running embedded job for a
 * savepoint (SIGUSR2, as `kill -USR2 <pid>`) and prints the path of the file it wrote.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { BeamError, OptionsError } from "../model/index.js";
import { parseDurationMillis, readRunningJob } from "../runners/index.js";

export const SAVEPOINT_USAGE = `Usage: beam-ts savepoint <pid> --checkpointDir=<dir> [--timeout=60s]

Asks the embedded job running as process <pid> for a savepoint and prints its path once it
is written. --checkpointDir is the job's own; the job records itself there
(running-job.json) while it runs, and nothing is signalled unless that record names <pid>.
--timeout: how long to wait for the savepoint (default 60s).`;

const SAVEPOINT_FILE = /^svp-\d+\.beamckpt$/;
const DEFAULT_TIMEOUT_MS = 60_000;
const POLL_MS = 100;


/**
 * Runs `beam-ts savepoint ...`, writing the savepoint's path to `out`; resolves with the
 * exit code (0; 2 for a usage error). A process that is not the recorded beam-ts job, or a
 * savepoint that does not appear in time, rejects with a BeamError saying what to do.
 *
 * @example
 * await savepointCommand(["4242", "--checkpointDir=./checkpoints"], (t) => process.stdout.write(t));
 */
export async function savepointCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    out(`${SAVEPOINT_USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const { pid, dir, timeoutMs } = parseArgs(argv);
  const running = readRunningJob(dir);
  if (running === undefined) {
    throw new BeamError(
      "SAVEPOINT",
      `beam-ts savepoint: no beam-ts job is taking checkpoints into ${dir} (it has no running-job.json). Pass the --checkpointDir the job runs with; a batch job, or one without --checkpointDir, takes no savepoints.`,
    );
  }
  if (running.pid !== pid) {
    throw new BeamError("SAVEPOINT", `beam-ts savepoint: ${dir} belongs to job "${running.job}", process ${running.pid}, not process ${pid}. Pass the pid of the job that uses this folder.`);
  }
  checkAlive(pid, running.job, dir);
  checkIsNode(pid);
  const before = new Set(savepointsIn(dir));
  process.kill(pid, "SIGUSR2");
  for (let waited = 0; waited <= timeoutMs; waited += POLL_MS) {
    const written = savepointsIn(dir).filter((name) => !before.has(name));
    if (written.length > 0) {
      out(`${path.join(dir, written.sort().at(-1)!)}\n`);
      return 0;
    }
    checkAlive(pid, running.job, dir);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new BeamError(
    "SAVEPOINT",
    `beam-ts savepoint: job "${running.job}" (process ${pid}) wrote no savepoint into ${dir} within ${timeoutMs} ms. Its standard error says why ("beam-ts: no savepoint: ..."); a job with much state may need a longer --timeout.`,
  );
}

function parseArgs(argv: readonly string[]): { pid: number; dir: string; timeoutMs: number } {
  const problems: string[] = [];
  let pidText: string | undefined;
  let dir: string | undefined;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  for (const arg of argv) {
    const m = /^--([A-Za-z]+)=(.*)$/.exec(arg);
    if (m === null) {
      if (pidText === undefined && !arg.startsWith("--")) pidText = arg;
      else problems.push(`unexpected argument "${arg}"`);
    } else if (m[1] === "checkpointDir") dir = m[2]!;
    else if (m[1] === "timeout") {
      const parsed = parseDurationMillis(m[2]);
      if (parsed === undefined) problems.push(`--timeout must be a duration such as 60s or 2m, got "${m[2]}"`);
      else timeoutMs = parsed;
    } else problems.push(`unknown option --${m[1]}`);
  }
  const pid = Number(pidText);
  if (pidText === undefined) problems.push("the job's process id is missing");
  else if (!Number.isInteger(pid) || pid <= 0) problems.push(`the process id must be a positive integer, got "${pidText}"`);
  if (dir === undefined || dir === "") problems.push("--checkpointDir is missing: the folder the job writes its checkpoints to");
  else if (!existsSync(dir) || !statSync(dir).isDirectory()) problems.push(`--checkpointDir=${dir}: no such directory`);
  if (problems.length > 0) throw new OptionsError(`beam-ts savepoint: ${problems.join("; ")}.\n\n${SAVEPOINT_USAGE}`);
  return { pid, dir: path.resolve(dir!), timeoutMs };
}

/** The process exists and may be signalled by us; a stale record (the job died) says so. */
function checkAlive(pid: number, job: string, dir: string): void {
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") {
      throw new BeamError("SAVEPOINT", `beam-ts savepoint: process ${pid} (job "${job}") is not running; ${dir}/running-job.json is left from a job that ended or was killed. Start the job again (--restoreFrom=latest).`);
    }
    throw new BeamError("SAVEPOINT", `beam-ts savepoint: cannot signal process ${pid} (${code ?? String(err)}): run the command as the user that runs the job.`, { cause: err });
  }
}

/**
 * On Linux, the process must be Node: a pid recorded by a job killed with -9 may since have
 * gone to another program, which SIGUSR2 would end.
 */
function checkIsNode(pid: number): void {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // no /proc (macOS): the record and a living pid are what we can check
  }
  const program = path.basename(cmdline.split("\0")[0] ?? "");
  if (!/^node/.test(program) && !cmdline.includes("beam-ts")) {
    throw new BeamError("SAVEPOINT", `beam-ts savepoint: process ${pid} runs ${program}, not a Node.js beam-ts job; the running-job.json record is stale. Nothing was signalled.`);
  }
}

/** Savepoint files in `dir`: complete ones only (they appear by rename). */
function savepointsIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => SAVEPOINT_FILE.test(name));
}
