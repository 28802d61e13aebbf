import { BeamError, UnsupportedFeatureError } from "../../model/index.js";
import { JobState_Enum, type JobInfo } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { JobServiceConnection, TERMINAL_STATES } from "./job-client.js";
import { optionUrn } from "./portable-runner.js";

// What `beam-ts jobs` does with jobs that already run on a job service, through Beam's Job
// API only (GetJobs, GetState, Cancel, Drain, GetMessageStream): it works for jobs any Beam
// SDK submitted, to any job service (Prism, Beam's Flink and Spark job servers).

/** One job as a job service reports it. */
export interface JobSummary {
  readonly jobId: string;
  readonly jobName: string;
  /** Beam's JobState name: RUNNING, DONE, FAILED, CANCELLED, DRAINED, CANCELLING, ... */
  readonly state: string;
  /** The runner the submitter asked for (its `--runner`), when the job's options say. */
  readonly runner: string | undefined;
}

/** A line of `beam-ts jobs logs`: a message of the runner, or a change of the job's state. */
export type JobEvent = { readonly kind: "message"; readonly importance: string; readonly text: string } | { readonly kind: "state"; readonly state: string };

/** How long `cancelJob` waits for the runner to report the cancelled job's end. */
const CANCEL_WAIT_MS = 60_000;

/**
 * The jobs a job service knows, oldest first where the service says (Prism lists them in
 * no order; its ids are increasing).
 *
 * @example
 * for (const job of await listJobs("127.0.0.1:8099")) console.log(job.jobId, job.state);
 */
export async function listJobs(endpoint: string): Promise<JobSummary[]> {
  return withConnection(endpoint, async (job) => (await job.jobs()).map(summaryOf).sort((a, b) => a.jobId.localeCompare(b.jobId, "en", { numeric: true })));
}

/**
 * One job's current state and name; a BeamError (`JOB_NOT_FOUND`) naming the job service
 * when it does not know the job.
 *
 * @example
 * const { state } = await jobStatus("127.0.0.1:8099", "job-001");
 */
export async function jobStatus(endpoint: string, jobId: string): Promise<JobSummary> {
  return withConnection(endpoint, (job) => statusOn(job, jobId));
}

/**
 * Cancels a job on its runner (Job API Cancel) and waits, up to a minute, for the runner
 * to report its end; resolves with the job as it is then (CANCELLED, or CANCELLING when
 * the runner is still stopping it). A job that already ended is left as it is.
 *
 * @example
 * const { state } = await cancelJob("127.0.0.1:8099", "job-001"); // "CANCELLED"
 */
export async function cancelJob(endpoint: string, jobId: string): Promise<JobSummary> {
  return withConnection(endpoint, async (job) => {
    const before = await statusOn(job, jobId);
    if (isTerminal(before.state)) return before;
    await job.cancel(jobId);
    const ended = await Promise.race([job.waitForTerminal(jobId), new Promise<undefined>((r) => setTimeout(() => r(undefined), CANCEL_WAIT_MS).unref())]);
    return { ...before, state: ended === undefined ? (await statusOn(job, jobId)).state : JobState_Enum[ended] };
  });
}

/**
 * Drains a job through Beam's Job API Drain where the job service implements it (sources
 * stop reading, data in flight is processed, then the job ends as DRAINED). A service
 * without Drain (Prism, Beam's Flink and Spark job servers) is refused with an
 * UnsupportedFeatureError naming the runner; the job is left running, never cancelled in
 * its place.
 *
 * @example
 * await drainJob("127.0.0.1:8099", "job-001"); // UnsupportedFeatureError on Prism
 */
export async function drainJob(endpoint: string, jobId: string): Promise<JobSummary> {
  return withConnection(endpoint, async (job) => {
    const before = await statusOn(job, jobId);
    if (isTerminal(before.state)) return before;
    const answer = await job.drain(jobId);
    if (answer === "unimplemented") throw drainUnsupported(jobId, endpoint, before.runner);
    return { ...before, state: JobState_Enum[answer] };
  });
}

/**
 * The UnsupportedFeatureError of a drain the job service cannot do: names the job, the
 * runner and the service, says the job still runs and what to do instead.
 */
export function drainUnsupported(jobId: string, endpoint: string, runner: string | undefined): UnsupportedFeatureError {
  const who = runner === undefined || runner === "portable" ? `The job service at ${endpoint}` : `The ${runner} job service at ${endpoint}`;
  return new UnsupportedFeatureError(
    "beam:job_api:drain",
    `${who} does not implement Beam's Job API Drain (Prism and Beam's Flink and Spark job servers answer UNIMPLEMENTED), ` +
      `so job ${jobId} cannot be drained there; it is still running, nothing was cancelled. ` +
      `Stop it with \`beam-ts jobs cancel ${jobId} --jobEndpoint=${endpoint}\` (open windows are not fired), ` +
      `or run it on the embedded runner, whose drain fires every open window.`,
  );
}

/**
 * Follows a job's messages and state changes (GetMessageStream) until the runner ends the
 * stream (when the job has ended) or `stop()` is called; resolves with the job's state then.
 *
 * @example
 * const follow = followJob("127.0.0.1:8099", "job-001", (e) => console.log(e));
 * console.log(await follow.ended);
 */
export function followJob(endpoint: string, jobId: string, onEvent: (event: JobEvent) => void): { ended: Promise<string>; stop(): void } {
  const job = new JobServiceConnection(endpoint);
  let stopStream = () => {};
  const ended = statusOn(job, jobId)
    .then(
      () =>
        new Promise<void>((resolve, reject) => {
          stopStream = job.events(
            jobId,
            (e) => {
              const r = e.response;
              if (r?.$case === "messageResponse")
                onEvent({ kind: "message", importance: importanceName(r.messageResponse.importance), text: r.messageResponse.messageText });
              else if (r?.$case === "stateResponse") onEvent({ kind: "state", state: JobState_Enum[r.stateResponse.state] ?? "UNSPECIFIED" });
            },
            (err) => (err === undefined ? resolve() : reject(err)),
          );
        }),
    )
    .then(async () => (await statusOn(job, jobId)).state)
    .finally(() => job.close());
  return { ended, stop: () => stopStream() };
}

/** Whether a Beam JobState name is terminal (DONE, FAILED, CANCELLED, DRAINED, UPDATED). */
export function isTerminal(state: string): boolean {
  const value = JobState_Enum[state as keyof typeof JobState_Enum];
  return value !== undefined && TERMINAL_STATES.has(value);
}

async function statusOn(job: JobServiceConnection, jobId: string): Promise<JobSummary> {
  // GetJobs first, for the job's name and runner, and for a clear error when the service does not know it.
  const info = (await job.jobs()).find((j) => j.jobId === jobId);
  if (info === undefined) {
    throw new BeamError(
      "JOB_NOT_FOUND",
      `The job service at ${job.endpoint} has no job "${jobId}". List its jobs with \`beam-ts jobs list --jobEndpoint=${job.endpoint}\` ` +
        `(a job service forgets its jobs when it restarts).`,
    );
  }
  const { state } = await job.state(jobId);
  return { ...summaryOf(info), state: JobState_Enum[state] ?? "UNSPECIFIED" };
}

function summaryOf(info: JobInfo): JobSummary {
  return { jobId: info.jobId, jobName: info.jobName, state: JobState_Enum[info.state] ?? "UNSPECIFIED", runner: runnerOf(info.pipelineOptions ?? {}) };
}

/**
 * The runner a job's options name. Beam's Java job servers clear `runner` (as Beam Python
 * does before submitting) but keep their own options: Flink's `flink_master`, Spark's
 * `spark_master`.
 */
function runnerOf(options: Readonly<Record<string, unknown>>): string | undefined {
  const runner = options[optionUrn("runner")];
  if (typeof runner === "string" && runner !== "") return runner;
  if (optionUrn("flinkMaster") in options) return "flink";
  if (optionUrn("sparkMaster") in options) return "spark";
  return undefined;
}

const IMPORTANCE = ["", "DEBUG", "DETAILED", "BASIC", "WARNING", "ERROR"];

function importanceName(importance: number): string {
  return IMPORTANCE[importance] || "INFO";
}

async function withConnection<T>(endpoint: string, use: (job: JobServiceConnection) => Promise<T>): Promise<T> {
  const job = new JobServiceConnection(endpoint);
  try {
    return await use(job);
  } finally {
    job.close();
  }
}
