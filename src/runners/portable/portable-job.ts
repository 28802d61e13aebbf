import { BeamError, JobFailedError, verboseFailures } from "../../model/index.js";
import type { JobState, Pipeline } from "../../pipeline/index.js";
import type { JobMetricsStore } from "../../metrics/index.js";
import { WorkerPool } from "../../harness/index.js";
import { JobState_Enum } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { expandExternalTransforms } from "./expansion.js";
import { JobServiceConnection } from "./job-client.js";
import { jobServiceOptions } from "./job-options.js";
import { runnerMetrics } from "./job-metrics.js";
import { fingerprintOf, pipelineToProto, type EnvironmentOptions } from "./pipeline-proto.js";
import { optionUrn } from "./portable-runner.js";
import { environmentTypeOf, stagedEnvironment } from "./worker-environment.js";

/** A job service this runner uses, and how to let go of it. */
export interface JobServiceHandle {
  readonly endpoint: string;
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

  constructor(
    private readonly pipeline: Pipeline,
    private readonly service: () => Promise<JobServiceHandle>,
    private readonly metricsStore: JobMetricsStore,
  ) {
    this.done = this.execute();
    this.done.catch(() => {});
  }

  get state(): JobState {
    return this.current;
  }

  waitUntilFinish(): Promise<JobState> {
    return this.done;
  }

  async cancel(): Promise<JobState> {
    if (this.jobId !== undefined) await this.job.cancel(await this.jobId).catch(() => {});
    return this.done.catch(() => this.current);
  }

  private async execute(): Promise<JobState> {
    const service = await this.service();
    this.job = new JobServiceConnection(service.endpoint);
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
      workers = await this.workers(errors);
      // Cross-language transforms are expanded now, by their expansion services (expansion.ts).
      const { pipeline: proto, artifacts } = await expandExternalTransforms(graph, pipelineToProto(graph, workers.env), workers.artifacts);
      const options = { ...this.publicOptions(), [optionUrn("beamTsFingerprint")]: fingerprintOf(graph), ...workers.options };
      const prepared = await this.job.prepare(proto, options, String(this.pipeline.options["jobName"] ?? "beam-ts"));
      await this.job.stageArtifacts(prepared, artifacts);
      this.jobId = this.job.run(prepared.preparationId);
      const jobId = await this.jobId;
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
        const failure = new JobFailedError(`Pipeline failed on the runner at ${this.job.endpoint}: ${reason}`, { cause: first, verbose });
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

  /** Pipeline options as the runner should see them (secret values revealed: see jobServiceOptions). */
  private publicOptions(): Record<string, unknown> {
    return jobServiceOptions(this.pipeline.options);
  }
}
