import { BeamError, JobFailedError, verboseFailures } from "../../model/index.js";
import type { JobState, Pipeline } from "../../pipeline/index.js";
import type { JobMetricsStore } from "../../metrics/index.js";
import { WorkerPool } from "../../harness/index.js";
import { JobState_Enum } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { expandExternalTransforms } from "./expansion.js";
import { JobServiceConnection } from "./job-client.js";
import { checkPortableJobService } from "./job-service-capabilities.js";
import { cancelJob, drainJob, drainUnsupported } from "./job-control.js";
import { submittedJobOptions } from "./job-options.js";
import { runnerMetrics } from "./job-metrics.js";
import { fingerprintOf, pipelineToProto, type EnvironmentOptions } from "./pipeline-proto.js";
import { optionUrn, runnerLabel } from "./portable-runner.js";
import { environmentTypeOf, stagedEnvironment } from "./worker-environment.js";

/** A job service this runner uses, and how to let go of it. */
export interface JobServiceHandle {
  readonly endpoint: string;
  /** The job service's process, when beam-ts started it. */
  readonly pid?: number;
  stop(): Promise<void>;
}

const STATES: Partial<Record<JobState_Enum, JobState>> = {
  [JobState_Enum.DONE]: "DONE",
  [JobState_Enum.FAILED]: "FAILED",
  [JobState_Enum.CANCELLED]: "CANCELLED",
  [JobState_Enum.DRAINED]: "DRAINED",
};

/** Where a job's workers run, what the job carries for them, and how to let go of them. */
interface JobWorkers {
  readonly env: EnvironmentOptions;
  readonly artifacts: ReadonlyMap<string, Uint8Array>;
  readonly options: Record<string, unknown>;
  /**
   * Whether the job's metrics come from the runner (GetJobMetrics) after the job: yes for
   * workers in their own processes; LOOPBACK records its harnesses' bundles here directly
   * (every attempt, committed or not, under beam-ts step names, on every runner), so the
   * runner's copy of the same updates is not added again.
   */
  readonly metricsFromRunner: boolean;
  stop(): Promise<void>;
}

/**
 * One job on a Beam job service: starts (or connects to) the service, sets up the workers,
 * prepares, stages and runs the job, and follows it to its end.
 */
export class PortableJob {
  private current: JobState = "RUNNING";
  private readonly done: Promise<JobState>;
  private job!: JobServiceConnection;
  private jobId: Promise<string> | undefined;
  /** The runner's id of the job once Run answered. */
  private submittedId: string | undefined;
  /** Resolves with the job id once the job runs; rejects if it fails before. */
  private readonly submitted: Promise<string>;
  private markSubmitted: (id: string) => void = () => {};
  /** A cancel asked before the job was submitted: it is not submitted, or cancelled at once. */
  private cancelRequested = false;
  /** Whether the runner answered a Cancel of this job. */
  private cancelAnswered = false;
  private connectedEndpoint: string | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly service: () => Promise<JobServiceHandle>,
    private readonly metricsStore: JobMetricsStore,
  ) {
    let failSubmission: (err: unknown) => void = () => {};
    this.submitted = new Promise<string>((resolve, reject) => {
      this.markSubmitted = resolve;
      failSubmission = reject;
    });
    this.submitted.catch(() => {});
    this.done = this.execute();
    this.done.catch(() => {});
    // A job that ends (or fails) before Run answered was never submitted.
    this.done.then(
      () => failSubmission(new JobFailedError(`The job on ${this.runner} ended before it was submitted.`)),
      (err: unknown) => failSubmission(err),
    );
  }

  /** The runner's id of the job, once it is submitted. */
  get id(): string | undefined {
    return this.submittedId;
  }

  /** Whether the runner has accepted a cancel of this job. */
  get cancelAccepted(): boolean {
    return this.cancelAnswered;
  }

  /** The job service's endpoint, once connected. */
  get endpoint(): string | undefined {
    return this.connectedEndpoint;
  }

  private async sendCancel(jobId: string): Promise<void> {
    await this.job.cancel(jobId);
    this.cancelAnswered = true;
  }

  /** The job's id when it was submitted with --detached (this client no longer follows it). */
  private detachedId(): string | undefined {
    return detachedOf(this.pipeline.options) ? this.submittedId : undefined;
  }

  private get runner(): string {
    return runnerLabel(this.pipeline.options);
  }

  get state(): JobState {
    return this.current;
  }

  waitUntilFinish(): Promise<JobState> {
    return this.done;
  }

  async cancel(): Promise<JobState> {
    this.cancelRequested = true;
    // A detached job's connection is closed: ask through a new one, and report what the runner says.
    if (this.detachedId() !== undefined) return asJobState((await cancelJob(this.connectedEndpoint!, this.submittedId!)).state);
    if (this.submittedId !== undefined && this.current === "RUNNING") await this.sendCancel(this.submittedId).catch(() => {});
    return this.done.catch(() => this.current);
  }

  /**
   * Beam's Job API Drain where the job service implements it, then the job's end. A service
   * without it (Prism, Beam's Flink and Spark job servers) gets an UnsupportedFeatureError
   * and the job runs on: a drain is never turned into a cancel.
   */
  async drain(): Promise<JobState> {
    const id = await this.submitted;
    if (this.detachedId() !== undefined) return asJobState((await drainJob(this.connectedEndpoint!, id)).state);
    if (this.current !== "RUNNING") return this.current;
    const answer = await this.job.drain(id);
    if (answer === "unimplemented") throw drainUnsupported(id, this.job.endpoint, String(this.pipeline.options["runner"] ?? "portable"));
    return this.done;
  }

  private async execute(): Promise<JobState> {
    const service = await this.service();
    this.job = new JobServiceConnection(service.endpoint);
    this.connectedEndpoint = service.endpoint;
    try {
      return await this.executeOn();
    } finally {
      await service.stop();
    }
  }

  private async executeOn(): Promise<JobState> {
    const graph = this.pipeline.graph();
    const errors: unknown[] = [];
    const messages: string[] = [];
    let workers: JobWorkers | undefined;
    try {
      const quiet = quietOf(this.pipeline.options);
      let runner = String(this.pipeline.options["runner"] ?? "portable");
      if (runner === "portable") {
        // The runner-specific checks of what the job service says it is (job-service-capabilities.ts).
        runner = (await checkPortableJobService(this.job.endpoint, graph, this.pipeline.options, (m) => void (quiet || process.stderr.write(m)))) ?? runner;
      }
      workers = await this.workers(errors);
      // Cross-language transforms are expanded now, by their expansion services (expansion.ts).
      const { pipeline: proto, artifacts } = await expandExternalTransforms(graph, pipelineToProto(graph, workers.env), workers.artifacts);
      // Secret values revealed: see jobServiceOptions. Defaults beam-ts picks (Flink's checkpoint interval) are said once.
      const submitted = submittedJobOptions(runner, proto, this.pipeline.options);
      if (!quiet) for (const note of submitted.notes) announce(note);
      const options = { ...submitted.options, [optionUrn("beamTsFingerprint")]: fingerprintOf(graph), ...workers.options };
      const prepared = await this.job.prepare(proto, options, String(this.pipeline.options["jobName"] ?? "beam-ts"));
      await this.job.stageArtifacts(prepared, artifacts);
      // Cancelled while being submitted (Ctrl-C while a job service started): never run it.
      if (this.cancelRequested) return (this.current = "CANCELLED");
      this.jobId = this.job.run(prepared.preparationId);
      const jobId = await this.jobId;
      this.submittedId = jobId;
      this.markSubmitted(jobId);
      if (this.cancelRequested) await this.sendCancel(jobId);
      if (detachedOf(this.pipeline.options)) {
        announce(`job ${jobId} submitted to ${this.runner} at ${this.job.endpoint} and left running (--detached).\n` + controlHint(jobId, this.job.endpoint));
        return this.current;
      }
      if (!quietOf(this.pipeline.options)) announce(`job ${jobId} running on ${this.runner} at ${this.job.endpoint}.`);
      let messagesEnded = () => {};
      const ended = new Promise<void>((resolve) => (messagesEnded = resolve));
      const stop = this.job.messages(jobId, (m) => messages.push(m), () => messagesEnded());
      const final = await this.job.waitForTerminal(jobId);
      // The cause of a failure may come on the message stream after the state: wait a little.
      if (final === JobState_Enum.FAILED) await Promise.race([ended, new Promise((r) => setTimeout(r, 3000))]);
      stop();
      if (workers.metricsFromRunner) {
        const results = await this.job.metrics(jobId);
        if (results !== undefined) {
          const { attempted, committed } = runnerMetrics(results, graph);
          this.metricsStore.recordAggregated(attempted, committed);
        }
      }
      this.current = STATES[final] ?? "FAILED";
      if (this.current === "FAILED") {
        // A bundle that failed in our own workers explains the failure best.
        const first = errors[0];
        const reason = first instanceof Error ? first.message : messages.slice(-5).join("\n");
        const verbose = verboseFailures(this.pipeline.options);
        const failure = new JobFailedError(`Pipeline failed on the runner at ${this.job.endpoint}: ${reason}${runnerHint(reason)}`, { cause: first, verbose });
        if (first instanceof BeamError) Object.defineProperty(failure, "failureCode", { value: first.code });
        throw failure;
      }
      return this.current;
    } catch (err) {
      this.current = "FAILED";
      if (err instanceof BeamError) throw err;
      throw new JobFailedError(`Pipeline failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, verbose: verboseFailures(this.pipeline.options) });
    } finally {
      // After a failure a runner may still be starting workers for the job (Prism does,
      // and dies if the pool is gone): leave the pool up a moment longer.
      if (this.current === "FAILED") await new Promise((r) => setTimeout(r, 1000));
      await workers?.stop();
      this.job.close();
    }
  }

  /**
   * The job's workers. LOOPBACK (the default): a worker pool in this process serving this
   * process's graph, whose metrics are recorded directly. PROCESS, EXTERNAL, DOCKER: the
   * runner starts workers in their own processes, which import the staged bundle of the
   * pipeline module (their metrics come from the runner's GetJobMetrics after the job).
   */
  private async workers(errors: unknown[]): Promise<JobWorkers> {
    const type = environmentTypeOf(this.pipeline.options);
    if (type !== "LOOPBACK") {
      const staged = await stagedEnvironment(this.pipeline, type);
      return { env: staged.env, artifacts: staged.artifacts, options: staged.options, metricsFromRunner: true, stop: () => staged.dispose() };
    }
    const pool = new WorkerPool(
      this.pipeline.graph(),
      (err) => errors.push(err),
      (containers, committed) => this.metricsStore.record(containers, committed),
    );
    try {
      const endpoint = await pool.start();
      return { env: { type: "external", endpoint }, artifacts: new Map(), options: {}, metricsFromRunner: false, stop: () => pool.stop() };
    } catch (err) {
      await pool.stop();
      throw err;
    }
  }
}

/** Whether `--detached` asks to return once the job is submitted. */
export function detachedOf(options: Readonly<Record<string, unknown>>): boolean {
  return options["detached"] === true || options["detached"] === "true";
}

function quietOf(options: Readonly<Record<string, unknown>>): boolean {
  return options["quiet"] === true || options["quiet"] === "true" || process.env["BEAM_TS_QUIET"] === "1";
}

/** How to watch and stop a job from another terminal. */
function controlHint(jobId: string, endpoint: string): string {
  return `  status: beam-ts jobs status ${jobId} --jobEndpoint=${endpoint}\n  logs:   beam-ts jobs logs ${jobId} --jobEndpoint=${endpoint}\n  cancel: beam-ts jobs cancel ${jobId} --jobEndpoint=${endpoint}`;
}

/** A line for the person at the terminal (stderr, as the embedded runner's notices). */
function announce(text: string): void {
  process.stderr.write(`beam-ts: ${text}\n`);
}

/** A Beam JobState name as beam-ts' JobState: a state it does not name (CANCELLING, DRAINING, ...) is still RUNNING. */
function asJobState(state: string): JobState {
  const known: readonly JobState[] = ["DONE", "FAILED", "CANCELLED", "DRAINING", "DRAINED"];
  return known.find((k) => k === state) ?? "RUNNING";
}

/**
 * What to do about a runner failure beam-ts recognises. Beam's Spark job server (2.70)
 * does not stop the SparkContext of a streaming job that was cancelled: every later job on
 * it fails with Spark's "Only one SparkContext" until the job server restarts.
 */
function runnerHint(reason: string): string {
  if (!reason.includes("Only one SparkContext should be running")) return "";
  return (
    "\nThe Spark job server still holds the SparkContext of an earlier job (Beam's Spark job server keeps a cancelled " +
    "streaming job's context): restart the job server. A job server that --runner=spark starts itself is fresh for every job."
  );
}
