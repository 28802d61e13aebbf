import { isMainThread } from "node:worker_threads";
import { constants } from "node:os";

/** What signal handling needs of an attached portable job. */
export interface SignalledPortableJob {
  /** The runner, as `--runner` named it (prism, flink, spark, portable). */
  readonly runner: string;
  /** Whether beam-ts started the job service for this job (it stops with this process). */
  readonly ownsService: boolean;
  /** The job service's endpoint, once known. */
  endpoint(): string | undefined;
  /** The runner's id of the job, once it is submitted. */
  jobId(): string | undefined;
  /** Whether the runner has accepted a cancel of the job (Cancel answered). */
  cancelAccepted(): boolean;
  /** Starts a cancel on the runner (at once, or as soon as the job is submitted); returns at once. */
  cancel(): void;
}

type Signal = "SIGINT" | "SIGTERM";
const SIGNALS: readonly Signal[] = ["SIGINT", "SIGTERM"];

/** The attached portable jobs of this process. */
const jobs = new Set<SignalledPortableJob>();
const installed = new Map<Signal, () => void>();
let received = 0;
let firstSignal: Signal | undefined;

/** 130 for SIGINT, 143 for SIGTERM: what a shell reports for a process a signal ended. */
function exitCodeOf(signal: Signal): number {
  return 128 + constants.signals[signal];
}

function onSignal(signal: Signal): void {
  received++;
  firstSignal ??= signal;
  const again = signal === "SIGINT" ? "press Ctrl-C again" : `send ${signal} again`;
  if (received === 1) {
    for (const job of jobs) {
      const id = job.jobId();
      const what = id === undefined ? `the job on ${job.runner} as soon as it is submitted` : `job ${id} on ${job.runner}`;
      const leave = job.ownsService
        ? `to exit at once (the ${job.runner} job service beam-ts started stops with this process)`
        : "to exit without waiting (a job the cancel has not reached yet is left running)";
      process.stderr.write(`Cancelling ${what}… ${again} ${leave}.\n`);
      job.cancel();
    }
    return;
  }
  for (const job of jobs) process.stderr.write(`${leftBehind(job)}\n`);
  // The job services beam-ts started are killed by tools/runners' exit hook.
  process.exit(exitCodeOf(firstSignal));
}

/** What a second signal leaves behind, and how to reach it. */
function leftBehind(job: SignalledPortableJob): string {
  const id = job.jobId();
  const endpoint = job.endpoint();
  if (job.ownsService) return `Exiting: the ${job.runner} job service beam-ts started stops with this process${id === undefined ? "" : `, and job ${id} with it`}.`;
  if (id === undefined || endpoint === undefined) return `Exiting before the job was submitted to ${job.runner}.`;
  const status = `\`beam-ts jobs status ${id} --jobEndpoint=${endpoint}\``;
  // The first signal's cancel may have reached the runner already: say which, never claim more.
  if (job.cancelAccepted()) return `Exiting without waiting for job ${id} to end: ${job.runner} at ${endpoint} accepted its cancel. Check with ${status}.`;
  return (
    `Exiting and leaving job ${id} running on ${job.runner} at ${endpoint}. ` +
    `Watch it with ${status}, stop it with \`beam-ts jobs cancel ${id} --jobEndpoint=${endpoint}\`.`
  );
}

/**
 * Lets SIGINT and SIGTERM stop an attached portable job on its runner: the first signal
 * cancels the job through the Job API ("Cancelling job <id> on <runner>…") and the program
 * goes on when the runner reports it CANCELLED; a second exits at once without waiting:
 * a job the cancel has not reached yet is left running on a job service beam-ts did not
 * start, and the message says which happened and how to reach the job. Without this,
 * Node's default action ends the client and the job runs on with nobody watching (on Spark
 * it blocks every later job), and a job service beam-ts started would be orphaned, since
 * only an orderly exit runs tools/runners' hook that stops it.
 *
 * Only in the main thread, and only for a signal the program does not handle itself (as
 * the embedded runner's job-signals.ts). When the job has ended after a signal, the exit
 * code is 130 (SIGINT) or 143 (SIGTERM). Returns the function to call when the job ended.
 *
 * @example
 * const ended = handleSignalsForPortable({ runner: "flink", ownsService: false, endpoint: () => ep, jobId: () => id, cancelAccepted: () => false, cancel: () => void job.cancel() });
 * job.waitUntilFinish().finally(ended);
 */
export function handleSignalsForPortable(job: SignalledPortableJob): () => void {
  if (!isMainThread) return () => {};
  if (jobs.size === 0) {
    for (const signal of SIGNALS) {
      if (process.listenerCount(signal) > 0) continue;
      const listener = () => onSignal(signal);
      process.on(signal, listener);
      installed.set(signal, listener);
    }
  }
  jobs.add(job);
  return () => {
    if (!jobs.delete(job) || jobs.size > 0) return;
    for (const [signal, listener] of installed) process.off(signal, listener);
    installed.clear();
    if (firstSignal !== undefined && !process.exitCode) process.exitCode = exitCodeOf(firstSignal);
    received = 0;
    firstSignal = undefined;
  };
}
