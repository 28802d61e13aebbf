import { BeamError, OptionsError } from "../../model/index.js";
import { pipelineModuleProblem } from "../pipeline-module.js";
import type { JobState, Pipeline, PipelineResult, Runner } from "../../pipeline/index.js";
import { JobMetricsStore } from "../../metrics/index.js";
import { WorkerEnv } from "../../harness/contract.js";
import { checkRunnerSupport } from "./runner-capabilities.js";
import { handleSignalsForPortable } from "./portable-signals.js";
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
    return [jobEndpointProblem(options), detachedProblem(options), pipelineModuleProblem(options), stateBackendProblem(options)].filter(
      (p): p is string => p !== undefined,
    );
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
    checkRunnerSupport(String(pipeline.options["runner"]), pipeline.graph(), pipeline.options);
    const detached = detachedProblem(pipeline.options);
    if (detached !== undefined) throw new OptionsError(detached);
    const endpoint = pipeline.options["jobEndpoint"];
    if (typeof endpoint === "string" && endpoint !== "") return new PortableResult(pipeline, async () => ({ endpoint, stop: async () => {} }), false);
    const preset = LOCAL_PRESETS[String(pipeline.options["runner"])];
    if (preset !== undefined) return new PortableResult(pipeline, () => startLocal(preset), true);
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
 * Beam's Flink runner needs a storage path for the state backend `--stateBackend` names, and
 * says so only once the job is submitted ("State backend was set to ... but no storage path
 * was provided"): said here where options are parsed.
 */
function stateBackendProblem(options: Readonly<Record<string, unknown>>): string | undefined {
  const backend = options["stateBackend"];
  const path = options["stateBackendStoragePath"];
  if (typeof backend !== "string" || backend === "" || (typeof path === "string" && path !== "")) return undefined;
  return `--stateBackend=${backend} needs --stateBackendStoragePath=<directory> (e.g. s3://bucket/flink-state), where Flink keeps its checkpoints.`;
}

/**
 * `--detached` hands the job over and lets this process go, so nothing the job needs may
 * live in it. Like Beam Python (a job server it starts is a StopOnExitJobServer, stopped at
 * exit), a job service beam-ts starts stops with this process, so detached jobs need a job
 * service of their own; and LOOPBACK workers are this process.
 */
function detachedProblem(options: Readonly<Record<string, unknown>>): string | undefined {
  if (options["detached"] !== true && options["detached"] !== "true") return undefined;
  const endpoint = options["jobEndpoint"];
  const runner = String(options["runner"]);
  if (!(typeof endpoint === "string" && endpoint !== "") && LOCAL_PRESETS[runner] !== undefined) {
    return (
      `--detached needs --jobEndpoint: the ${runner} job service --runner=${runner} starts stops with this process, and the job with it. ` +
      `Start one that outlives it (\`node tools/runners/job-services.mjs ${runner}\` prints its endpoint) and pass --jobEndpoint=127.0.0.1:PORT.`
    );
  }
  const type = String(options["environmentType"] ?? "LOOPBACK").toUpperCase();
  if (type === "LOOPBACK" || type === "") {
    return (
      `--detached cannot run LOOPBACK workers (the default --environmentType): they run in this process, which --detached leaves. ` +
      `Use --environmentType=PROCESS, EXTERNAL (with --environmentConfig=host:port of a beam-ts worker-pool) or DOCKER.`
    );
  }
  return undefined;
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

/** What starting each local job service needs on the machine, for the error when it cannot. */
const LOCAL_NEEDS: Record<string, string> = {
  prism: "Prism is built once (then cached) with `go install` from the Go module proxy: the Go toolchain must be on PATH.",
  flink: "Beam's Flink job server is resolved once (then cached) from Maven Central with Maven and runs on Java 17: `mvn` and `java` must be on PATH.",
  spark: "Beam's Spark job server is resolved once (then cached) from Maven Central with Maven and runs on Java 17: `mvn` and `java` must be on PATH.",
};

async function startLocal(starter: "startPrism" | "startFlink" | "startSpark"): Promise<JobServiceHandle> {
  const name = starter.slice("start".length).toLowerCase();
  // Shipped in the package next to dist/ (package.json "files"), and in a checkout.
  const tools = "../../../tools/runners/job-services.mjs";
  let service: JobServiceHandle;
  try {
    const module = (await import(tools)) as Record<typeof starter, () => Promise<JobServiceHandle>>;
    service = await module[starter]();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BeamError(
      "JOB_SERVICE_START",
      `--runner=${name} without --jobEndpoint starts a local ${name} job service, which failed: ${why}\n${LOCAL_NEEDS[name] ?? ""} ` +
        `Or start a job service yourself and pass --jobEndpoint=host:port.`,
      { cause: err },
    );
  }
  // Said once, with the pid: a job service left behind would be a bug, and this is how to find it.
  process.stderr.write(`beam-ts: started a ${name} job service at ${service.endpoint} (pid ${service.pid ?? "?"}) for this job; it stops with this process.\n`);
  return service;
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

  /** `ownsService`: the job service is started for this job (and stops with it). */
  constructor(pipeline: Pipeline, service: () => Promise<JobServiceHandle>, ownsService: boolean) {
    // From now until the job ends, Ctrl-C cancels it on the runner (portable-signals.ts).
    const ended = handleSignalsForPortable({
      runner: runnerLabel(pipeline.options),
      ownsService,
      endpoint: () => this.loaded?.endpoint,
      jobId: () => this.loaded?.id,
      cancelAccepted: () => this.loaded?.cancelAccepted ?? false,
      cancel: () => void this.cancel(),
    });
    this.job = import("./portable-job.js").then((m) => (this.loaded = new m.PortableJob(pipeline, service, this.metricsStore)));
    this.done = this.job.then(
      (job) => job.waitUntilFinish(),
      (err: unknown) => {
        this.failedEarly = true;
        throw err;
      },
    );
    this.done.catch(() => {});
    this.done.then(ended, ended);
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

  /**
   * Beam's Job API Drain, where the job service implements it. Prism's and Beam's Flink and
   * Spark job servers do not: the promise rejects with an UnsupportedFeatureError and the
   * job runs on (use cancel()); a drain never becomes a cancel.
   */
  async drain(): Promise<JobState> {
    const job = await this.job;
    return job.drain();
  }

  metrics() {
    return this.metricsStore;
  }
}

/** How messages name the runner of a job: its `--runner` (prism, flink, spark), or "the runner" behind `--runner=portable`. */
export function runnerLabel(options: Readonly<Record<string, unknown>>): string {
  const runner = String(options["runner"] ?? "portable");
  return runner === "portable" ? "the runner" : runner;
}

/** `jobName` → `beam:option:job_name:v1`, the key Beam SDKs and runners use for an option. */
export function optionUrn(name: string): string {
  return `beam:option:${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}:v1`;
}
