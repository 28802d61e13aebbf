import { BeamError, OptionsError } from "../../model/index.js";
import { pipelineModuleProblem } from "../pipeline-module.js";
import type { JobState, Pipeline, PipelineResult, Runner } from "../../pipeline/index.js";
import { JobMetricsStore } from "../../metrics/index.js";
import { WorkerEnv } from "../../harness/contract.js";
import { checkRunnerSupport } from "./runner-capabilities.js";
import type { JobServiceHandle, PortableJob } from "./portable-job.js";

// This module is what `beam-ts` exports and registers for --runner=portable|prism|flink|spark:
// it checks a job synchronously and loads the Job API client (generated protos, gRPC, the
// worker harness, esbuild staging; ~0.5 s to import) only when a job is submitted, so
// embedded jobs and their worker threads do not pay for it.

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

  /** Reported when options are parsed: `--runner=portable` needs `--jobEndpoint`. */
  checkOptions(options: Readonly<Record<string, unknown>>): readonly string[] {
    return [jobEndpointProblem(options), pipelineModuleProblem(options)].filter((p): p is string => p !== undefined);
  }

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
    if (typeof endpoint === "string" && endpoint !== "") return new PortableResult(pipeline, async () => ({ endpoint, stop: async () => {} }));
    const preset = LOCAL_PRESETS[String(pipeline.options["runner"])];
    if (preset !== undefined) return new PortableResult(pipeline, () => startLocal(preset));
    throw new OptionsError(jobEndpointProblem(pipeline.options)!);
  }
}

/** Without `--jobEndpoint`, only the runners with a local job service (LOCAL_PRESETS) can run. */
function jobEndpointProblem(options: Readonly<Record<string, unknown>>): string | undefined {
  const endpoint = options["jobEndpoint"];
  const runner = String(options["runner"]);
  if ((typeof endpoint === "string" && endpoint !== "") || LOCAL_PRESETS[runner] !== undefined) return undefined;
  return `--runner=${runner} needs --jobEndpoint=host:port of a Beam job service (or use --runner=prism, flink or spark, which start a local one).`;
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

/**
 * A submitted job as the caller sees it, at once: the job itself (portable-job.ts) is
 * created when its module has loaded; until then the job is RUNNING (being submitted).
 */
class PortableResult implements PipelineResult {
  private loaded: PortableJob | undefined;
  private failedEarly = false;
  private readonly job: Promise<PortableJob>;
  private readonly done: Promise<JobState>;
  private readonly metricsStore = new JobMetricsStore();

  constructor(pipeline: Pipeline, service: () => Promise<JobServiceHandle>) {
    this.job = import("./portable-job.js").then((m) => (this.loaded = new m.PortableJob(pipeline, service, this.metricsStore)));
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
    const job = await this.job.catch(() => undefined);
    return job === undefined ? this.state : job.cancel();
  }

  drain(): Promise<JobState> {
    // The Job API has no drain for most runners; Beam SDKs cancel.
    return this.cancel();
  }

  metrics() {
    return this.metricsStore;
  }
}

/** `jobName` → `beam:option:job_name:v1`, the key Beam SDKs and runners use for an option. */
export function optionUrn(name: string): string {
  return `beam:option:${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}:v1`;
}
