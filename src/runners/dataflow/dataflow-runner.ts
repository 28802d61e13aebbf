import { BeamError } from "../../model/index.js";
import type { JobState, Pipeline, PipelineResult, Runner } from "../../pipeline/index.js";
import { JobMetricsStore } from "../../metrics/index.js";
import { WorkerEnv } from "../../harness/contract.js";
import { pipelineModuleProblem } from "../pipeline-module.js";
import { dataflowProblems, dataflowSettingsOf } from "./dataflow-settings.js";
import type { AccessTokenSource } from "./dataflow-credentials.js";
import type { WriteStagedFile } from "./dataflow-staging.js";
import type { DataflowJobRun } from "./dataflow-job.js";

// What `beam-ts` registers for --runner=dataflow: option checks, synchronous; the submission
// client (protos, esbuild staging, the REST client) is imported when a job is submitted.

/** What the Dataflow runner needs from outside src/runners. */
export interface DataflowRunnerDeps {
  /** Writes a staged file to a gs:// path (the package entry passes the gs:// file system). */
  readonly writeStagedFile: WriteStagedFile;
  /** @internal The OAuth2 token source (default: Application Default Credentials). */
  readonly token?: AccessTokenSource;
  /** @internal Milliseconds between job state polls (default 5000). */
  readonly pollMillis?: number;
}

/**
 * Submits pipelines to Google Cloud Dataflow (runner v2, portable job submission), as Beam
 * Python's DataflowRunner: `--runner=dataflow --project=P --region=R
 * --tempLocation=gs://bucket/tmp --sdkContainerImage=<beam-ts worker image>`. The pipeline
 * module's bundle and the Runner API pipeline are staged to Cloud Storage, the job is
 * created through the Dataflow REST API with Application Default Credentials, its id and
 * console URL are printed, and it is followed until it ends (`--detached`: left running).
 * `--dataflowJobFile=<path>` writes the request and submits nothing. A real Dataflow
 * submission is not exercised by beam-ts's tests (docs/DATAFLOW.md).
 */
export class DataflowRunner implements Runner {
  readonly name = "dataflow";

  constructor(private readonly deps: DataflowRunnerDeps) {}

  /** Reported when options are parsed: what a Dataflow job needs and what it cannot have. */
  checkOptions(options: Readonly<Record<string, unknown>>): readonly string[] {
    const module = pipelineModuleProblem(options);
    return [...dataflowProblems(options), ...(module !== undefined ? [module] : [])];
  }

  run(pipeline: Pipeline): PipelineResult {
    if (process.env[WorkerEnv.workerId]) {
      throw new BeamError(
        "WORKER_SUBMIT",
        `This process is beam-ts worker ${process.env[WorkerEnv.workerId]} and must not submit jobs: the pipeline module used a second copy of beam-ts.`,
      );
    }
    // Option problems are errors now, before anything is bundled or staged.
    dataflowSettingsOf(pipeline.options);
    return new DataflowResult(pipeline, this.deps);
  }
}

/** A submitted Dataflow job as the caller sees it at once; RUNNING until the client module has loaded. */
class DataflowResult implements PipelineResult {
  private loaded: DataflowJobRun | undefined;
  private failedEarly = false;
  private readonly job: Promise<DataflowJobRun>;
  private readonly done: Promise<JobState>;
  private readonly metricsStore = new JobMetricsStore();

  constructor(pipeline: Pipeline, deps: DataflowRunnerDeps) {
    this.job = import("./dataflow-job.js").then((m) => (this.loaded = new m.DataflowJobRun(pipeline, deps)));
    this.done = this.job.then(
      (job) => job.waitUntilFinish(),
      (err: unknown) => {
        this.failedEarly = true;
        throw err;
      },
    );
    this.done.catch(() => {});
  }

  get state(): JobState {
    return this.loaded?.state ?? (this.failedEarly ? "FAILED" : "RUNNING");
  }

  waitUntilFinish(): Promise<JobState> {
    return this.done;
  }

  async cancel(): Promise<JobState> {
    return (await this.job).cancel();
  }

  async drain(): Promise<JobState> {
    return (await this.job).drain();
  }

  /** Dataflow's metrics are not read back yet: the store stays empty (see docs/DATAFLOW.md). */
  metrics() {
    return this.metricsStore;
  }
}
