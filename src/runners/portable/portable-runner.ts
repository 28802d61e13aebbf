import { BeamError, JobFailedError, OptionsError } from "../../model/index.js";
import type { JobState, Pipeline, PipelineResult, Runner } from "../../pipeline/index.js";
import { JobMetricsStore } from "../../metrics/index.js";
import { WorkerEnv, WorkerPool } from "../../harness/index.js";
import { JobState_Enum } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { expandExternalTransforms } from "./expansion.js";
import { JobServiceConnection } from "./job-client.js";
import { runnerMetrics } from "./job-metrics.js";
import { checkRunnerSupport } from "./runner-capabilities.js";
import { fingerprintOf, pipelineToProto, type EnvironmentOptions } from "./pipeline-proto.js";
import { environmentTypeOf, stagedEnvironment } from "./worker-environment.js";

/**
 * Runs a pipeline on a Beam job service (Prism, Flink, Spark, Dataflow's) through Beam's
 * Job API: translates it to the Runner API, sets up the workers, prepares, stages and runs
 * the job, and follows its state. Select it with `--runner=portable --jobEndpoint=host:port`.
 *
 * Workers (`--environmentType`): LOOPBACK (the default) starts a worker pool in this
 * process on 127.0.0.1, whose harnesses run this process's DoFns; PROCESS, EXTERNAL and
 * DOCKER stage an esbuild bundle of the pipeline module, which workers in their own
 * processes (started by `beam-ts boot`) import to rebuild the same graph.
 */
export class PortableRunner implements Runner {
  readonly name = "portable";

  run(pipeline: Pipeline): PipelineResult {
    if (process.env[WorkerEnv.workerId]) {
      // The worker entry captures run() in a worker; reaching a runner means the module
      // ran with another copy of beam-ts than the one the bundle's worker entry hooked.
      throw new BeamError(
        "WORKER_SUBMIT",
        `This process is beam-ts worker ${process.env[WorkerEnv.workerId]} and must not submit jobs: the pipeline module ` +
          `used a second copy of beam-ts. Make the module and beam-ts resolve to one installation (one beam-ts in node_modules).`,
      );
    }
    // Before any job service starts: what this runner is known not to run is an error now.
    checkRunnerSupport(String(pipeline.options["runner"]), pipeline.graph());
    const endpoint = pipeline.options["jobEndpoint"];
    if (typeof endpoint === "string" && endpoint !== "") return new PortableResult(pipeline, Promise.resolve({ endpoint, stop: async () => {} }));
    const preset = LOCAL_PRESETS[String(pipeline.options["runner"])];
    if (preset !== undefined) return new PortableResult(pipeline, startLocal(preset));
    throw new OptionsError(
      `--runner=${String(pipeline.options["runner"])} needs --jobEndpoint=host:port of a Beam job service ` +
        `(or use --runner=prism, flink or spark, which start a local one).`,
    );
  }
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

/** A job service this runner uses, and how to let go of it. */
interface JobServiceHandle {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * `--runner=prism|flink|spark` without --jobEndpoint start a job service on loopback for
 * this job, with the development script in tools/runners: Prism built from the Go module
 * proxy, Beam's Flink job server with an embedded local Flink, Beam's Spark job server with
 * a local Spark master (resolved from Maven); all cached after the first time.
 */
const LOCAL_PRESETS: Record<string, "startPrism" | "startFlink" | "startSpark"> = {
  prism: "startPrism",
  flink: "startFlink",
  spark: "startSpark",
};

async function startLocal(starter: "startPrism" | "startFlink" | "startSpark"): Promise<JobServiceHandle> {
  const tools = "../../../tools/runners/job-services.mjs";
  const module = (await import(tools)) as Record<typeof starter, () => Promise<JobServiceHandle>>;
  return module[starter]();
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

  /**
   * Pipeline options as the runner should see them: plain values under Beam's portable
   * option URNs (`beam:option:job_name:v1`, which Java's PipelineOptionsTranslation and
   * Python read back into camelCase / snake_case names).
   */
  private publicOptions(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.pipeline.options)) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[optionUrn(k)] = v;
    }
    return out;
  }
}

/** `jobName` → `beam:option:job_name:v1`, the key Beam SDKs and runners use for an option. */
export function optionUrn(name: string): string {
  return `beam:option:${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}:v1`;
}
