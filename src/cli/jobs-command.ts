/**
 * `beam-ts jobs list|status|cancel|drain|logs`: watches and stops jobs on a Beam job
 * service through Beam's Job API (src/runners/portable/job-control.ts), whichever client
 * submitted them.
 */
import { OptionsError } from "../model/index.js";
import type { JobEvent, JobSummary } from "../runners/index.js";

export const JOBS_USAGE = `Usage: beam-ts jobs list --jobEndpoint=<host:port> [--json]
       beam-ts jobs status <job id> --jobEndpoint=<host:port> [--json]
       beam-ts jobs cancel <job id> --jobEndpoint=<host:port> [--json]
       beam-ts jobs drain <job id> --jobEndpoint=<host:port> [--json]
       beam-ts jobs logs <job id> --jobEndpoint=<host:port> [--json]

Watches and stops jobs on a Beam job service (Prism, Flink's or Spark's job server) through
Beam's Job API. list: every job the service knows. status: one job's state. cancel: stops
the job on the runner and waits (up to a minute) for it to end. drain: Beam's Job API
Drain, refused where the job service does not implement it (Prism and Beam's Flink and
Spark job servers do not; the job is left running). logs: the runner's messages and state
changes until the job ends (Ctrl-C stops following, not the job). --json prints JSON
(logs: one JSON object a line) for scripts.`;

const ACTIONS = ["list", "status", "cancel", "drain", "logs"] as const;
type Action = (typeof ACTIONS)[number];

/** Parsed `beam-ts jobs` arguments. */
interface JobsArgs {
  readonly action: Action;
  readonly jobId: string | undefined;
  readonly endpoint: string;
  readonly json: boolean;
}

/**
 * Runs `beam-ts jobs <action> ...`, writing to `out`; resolves with the exit code (0; 2
 * for a usage error). Job API failures (an unknown job, a refused drain) reject with their
 * BeamError, which the CLI prints.
 *
 * @example
 * await jobsCommand(["list", "--jobEndpoint=127.0.0.1:8099"], (t) => process.stdout.write(t));
 */
export async function jobsCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    out(`${JOBS_USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const args = parseJobsArgs(argv);
  const control = await import("../runners/index.js");
  const { action, jobId, endpoint, json } = args;
  if (action === "list") {
    const jobs = await control.listJobs(endpoint);
    out(json ? `${JSON.stringify(jobs.map(jsonOf))}\n` : jobs.length === 0 ? `No jobs on the job service at ${endpoint}.\n` : table(jobs));
    return 0;
  }
  const id = jobId!;
  if (action === "logs") {
    const follow = control.followJob(endpoint, id, (e) => out(json ? `${JSON.stringify(e)}\n` : eventLine(e)));
    const state = await follow.ended;
    out(json ? `${JSON.stringify({ kind: "end", state })}\n` : `job ${id} is ${state}\n`);
    return 0;
  }
  const run = { status: control.jobStatus, cancel: control.cancelJob, drain: control.drainJob }[action];
  const job = await run(endpoint, id);
  out(json ? `${JSON.stringify(jsonOf(job))}\n` : table([job]));
  return 0;
}

/** Reads the action, the job id and the flags; an OptionsError (exit 2) says what is missing. */
export function parseJobsArgs(argv: readonly string[]): JobsArgs {
  const [action, ...rest] = argv;
  if (!ACTIONS.includes(action as Action)) throw new OptionsError(`Unknown jobs command "${action}": use ${ACTIONS.join(", ")}.\n\n${JOBS_USAGE}`);
  let endpoint: string | undefined;
  let json = false;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--json" || arg === "--json=true") json = true;
    else if (arg.startsWith("--jobEndpoint=") || arg.startsWith("--job_endpoint=")) endpoint = arg.slice(arg.indexOf("=") + 1);
    else if (arg === "--jobEndpoint" || arg === "--job_endpoint") endpoint = rest[++i];
    else if (arg.startsWith("--")) throw new OptionsError(`beam-ts jobs ${action}: unknown option ${arg}.\n\n${JOBS_USAGE}`);
    else positional.push(arg);
  }
  if (endpoint === undefined || !/^[^\s]+:\d+$/.test(endpoint)) {
    throw new OptionsError(`beam-ts jobs ${action} needs --jobEndpoint=host:port of the Beam job service the job runs on${endpoint === undefined ? "" : `; got "${endpoint}"`}.`);
  }
  const needsId = action !== "list";
  if (needsId && positional.length !== 1) throw new OptionsError(`beam-ts jobs ${action} needs exactly one job id (see \`beam-ts jobs list --jobEndpoint=${endpoint}\`).`);
  if (!needsId && positional.length > 0) throw new OptionsError(`beam-ts jobs list takes no job id; got ${positional.join(" ")}.`);
  return { action: action as Action, jobId: positional[0], endpoint, json };
}

function jsonOf(job: JobSummary): Record<string, string | null> {
  return { jobId: job.jobId, jobName: job.jobName, state: job.state, runner: job.runner ?? null };
}

function eventLine(e: JobEvent): string {
  return e.kind === "state" ? `state ${e.state}\n` : `${e.importance.padEnd(8)} ${e.text}\n`;
}

/** Jobs as an aligned table: JOB ID, NAME, STATE, RUNNER. */
export function table(jobs: readonly JobSummary[]): string {
  const rows = [["JOB ID", "NAME", "STATE", "RUNNER"], ...jobs.map((j) => [j.jobId, j.jobName, j.state, j.runner ?? "-"])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ")).join("\n") + "\n";
}
