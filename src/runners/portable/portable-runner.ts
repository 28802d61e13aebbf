import { BeamError, JobFailedError, OptionsError } from "../../model/index.js";
import type { JobState, Pipeline, PipelineResult, Runner } from "../../pipeline/index.js";
import { JobMetricsStore } from "../../metrics/index.js";
import { WorkerPool } from "../../harness/index.js";
import { JobState_Enum } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { JobServiceConnection } from "./job-client.js";
import { fingerprintOf, pipelineToProto } from "./pipeline-proto.js";

/**
 * Runs a pipeline on a Beam job service (Prism, Flink, Spark, Dataflow's) through Beam's
 * Job API: translates it to the Runner API, starts a worker pool in this process on
 * 127.0.0.1 (Beam's LOOPBACK environment: the runner starts SDK harnesses there, which run
 * this process's DoFns), prepares, stages and runs the job, and follows its state.
 * Select it with `--runner=portable --jobEndpoint=host:port`.
 */
export class PortableRunner implements Runner {
  readonly name = "portable";

  run(pipeline: Pipeline): PipelineResult {
    const endpoint = pipeline.options["jobEndpoint"];
    if (typeof endpoint === "string" && endpoint !== "") return new PortableResult(pipeline, Promise.resolve({ endpoint, stop: async () => {} }));
    if (pipeline.options["runner"] === "prism") return new PortableResult(pipeline, startLocalPrism());
    throw new OptionsError(
      `--runner=${String(pipeline.options["runner"])} needs --jobEndpoint=host:port of a Beam job service ` +
        `(or use --runner=prism, which starts a local Prism).`,
    );
  }
}

const STATES: Partial<Record<JobState_Enum, JobState>> = {
  [JobState_Enum.DONE]: "DONE",
  [JobState_Enum.FAILED]: "FAILED",
  [JobState_Enum.CANCELLED]: "CANCELLED",
  [JobState_Enum.DRAINED]: "DRAINED",
};

/** A job service this runner uses, and how to let go of it. */
interface JobServiceHandle {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * The `--runner=prism` preset without --jobEndpoint: Prism built from the Go module proxy
 * (cached after the first time) and started on loopback for this job, by the development
 * script in tools/runners.
 */
async function startLocalPrism(): Promise<JobServiceHandle> {
  const tools = "../../../tools/runners/job-services.mjs";
  const { startPrism } = (await import(tools)) as { startPrism(): Promise<JobServiceHandle> };
  return startPrism();
}

class PortableResult implements PipelineResult {
  private current: JobState = "RUNNING";
  private readonly done: Promise<JobState>;
  private job!: JobServiceConnection;
  private jobId: Promise<string> | undefined;
  private readonly metricsStore = new JobMetricsStore();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly service: Promise<JobServiceHandle>,
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

  drain(): Promise<JobState> {
    // The Job API has no drain for most runners; Beam SDKs cancel.
    return this.cancel();
  }

  metrics() {
    return this.metricsStore;
  }

  private async execute(): Promise<JobState> {
    const service = await this.service;
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
    // LOOPBACK: the workers run in this process, so their metrics are recorded directly.
    const pool = new WorkerPool(
      graph,
      (err) => errors.push(err),
      (containers, committed) => this.metricsStore.record(containers, committed),
    );
    const messages: string[] = [];
    try {
      const poolEndpoint = await pool.start();
      const proto = pipelineToProto(graph, { type: "external", endpoint: poolEndpoint });
      const options = { ...this.publicOptions(), beam_ts_fingerprint: fingerprintOf(graph) };
      const prepared = await this.job.prepare(proto, options, String(this.pipeline.options["jobName"] ?? "beam-ts"));
      await this.job.stageArtifacts(prepared);
      this.jobId = this.job.run(prepared.preparationId);
      const jobId = await this.jobId;
      const stop = this.job.messages(jobId, (m) => messages.push(m));
      const final = await this.job.waitForTerminal(jobId);
      stop();
      this.current = STATES[final] ?? "FAILED";
      if (this.current === "FAILED") {
        // A bundle that failed in our own workers explains the failure best.
        const first = errors[0];
        const reason = first instanceof Error ? first.message : messages.slice(-5).join("\n");
        const failure = new JobFailedError(`Pipeline failed on the runner at ${this.job.endpoint}: ${reason}`, { cause: first });
        if (first instanceof BeamError) Object.defineProperty(failure, "failureCode", { value: first.code });
        throw failure;
      }
      return this.current;
    } catch (err) {
      this.current = "FAILED";
      if (err instanceof BeamError) throw err;
      throw new JobFailedError(`Pipeline failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      // After a failure a runner may still be starting workers for the job (Prism does,
      // and dies if the pool is gone): leave the pool up a moment longer.
      if (this.current === "FAILED") await new Promise((r) => setTimeout(r, 1000));
      await pool.stop();
      this.job.close();
    }
  }

  /** Pipeline options as the runner should see them: no secrets (redacted), plain values. */
  private publicOptions(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.pipeline.options)) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
    }
    return out;
  }
}
