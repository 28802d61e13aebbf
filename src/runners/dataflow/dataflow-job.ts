import { mkdir, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BeamError, JobFailedError, OptionsError, Secret, verboseFailures } from "../../model/index.js";
import type { JobState, Pipeline } from "../../pipeline/index.js";
import { DockerPayload, type Pipeline as ProtoPipeline } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { pipelineModuleOf } from "../pipeline-module.js";
import { expandExternalTransforms } from "../portable/expansion.js";
import { fingerprintOf, pipelineToProto } from "../portable/pipeline-proto.js";
import { checkRunnerSupport } from "../portable/runner-capabilities.js";
import { stagePipeline, type StagedPipeline } from "../portable/staging.js";
import { DataflowClient } from "./dataflow-client.js";
import { applicationDefaultToken, type AccessTokenSource } from "./dataflow-credentials.js";
import { dataflowSettingsOf, type DataflowSettings } from "./dataflow-settings.js";
import { joinGcs, planStaging, stageFiles, type WriteStagedFile } from "./dataflow-staging.js";
import { jobRequest, type ContainerEnvironment, type DataflowJob } from "./job-request.js";

const DOCKER = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardEnvironments.Environments"].DOCKER;

/** What a Dataflow job needs from outside this folder. */
export interface DataflowJobDeps {
  /** Writes a staged file to gs:// (the gs:// file system, given by the package entry). */
  readonly writeStagedFile: WriteStagedFile;
  /** The OAuth2 token source (default: Application Default Credentials). */
  readonly token?: AccessTokenSource;
  /** Milliseconds between job state polls (default 5000, as Beam Python's). */
  readonly pollMillis?: number;
}

/** Dataflow's states beam-ts names; the others (pending, queued, cancelling, ...) are RUNNING. */
const STATES: Record<string, JobState> = {
  JOB_STATE_DONE: "DONE",
  JOB_STATE_FAILED: "FAILED",
  JOB_STATE_CANCELLED: "CANCELLED",
  JOB_STATE_DRAINING: "DRAINING",
  JOB_STATE_DRAINED: "DRAINED",
  // Replaced by a job that --update submitted: this one is done.
  JOB_STATE_UPDATED: "DONE",
};
const TERMINAL = new Set(["JOB_STATE_DONE", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_DRAINED", "JOB_STATE_UPDATED"]);

/**
 * One job on Google Cloud Dataflow, as Beam Python's DataflowRunner submits it: the graph
 * translated to the Runner API (the portable runner's translation) with one Docker
 * environment (`--sdkContainerImage`), the pipeline module's bundle and the pipeline proto
 * staged to `--stagingLocation`, a v1b3 Job created through the REST API, then followed until
 * it ends (or left running with `--detached`). `--dataflowJobFile` writes the request instead
 * and stages and submits nothing.
 */
export class DataflowJobRun {
  private current: JobState = "RUNNING";
  private jobId: string | undefined;
  private client: DataflowClient | undefined;
  private cancelRequested = false;
  private readonly done: Promise<JobState>;
  private markCreated: () => void = () => {};
  /** Resolves when Dataflow created the job (and `jobId` is set). */
  private readonly created = new Promise<void>((resolve) => (this.markCreated = resolve));

  constructor(
    private readonly pipeline: Pipeline,
    private readonly deps: DataflowJobDeps,
  ) {
    this.done = this.execute();
    this.done.catch(() => {});
  }

  get state(): JobState {
    return this.current;
  }

  /** The Dataflow job id once the job was created. */
  get id(): string | undefined {
    return this.jobId;
  }

  waitUntilFinish(): Promise<JobState> {
    return this.done;
  }

  /** Asks Dataflow to cancel the job (projects.locations.jobs.update); a job not yet created is never created. */
  async cancel(): Promise<JobState> {
    this.cancelRequested = true;
    if (this.jobId !== undefined && this.client !== undefined && this.current === "RUNNING") await this.client.requestState(this.jobId, "JOB_STATE_CANCELLED");
    if (this.settingsDetached()) return this.current;
    return this.done.catch(() => this.current);
  }

  /** Asks Dataflow to drain the job: sources stop, windows fire, then it ends as DRAINED. */
  async drain(): Promise<JobState> {
    await this.waitForId();
    await this.client!.requestState(this.jobId!, "JOB_STATE_DRAINING");
    if (this.settingsDetached()) return "DRAINING";
    return this.done;
  }

  private settingsDetached(): boolean {
    return this.pipeline.options["detached"] === true || this.pipeline.options["detached"] === "true";
  }

  /** Resolves once the job was created; rejects when the job ended without being created. */
  private async waitForId(): Promise<void> {
    if (this.jobId !== undefined) return;
    await Promise.race([
      this.created,
      this.done.then(
        (state) => Promise.reject(new JobFailedError(`The Dataflow job ended (${state}) without being created: there is nothing to drain.`)),
        (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
      ),
    ]);
  }

  private async execute(): Promise<JobState> {
    let staged: StagedPipeline | undefined;
    try {
      const options = this.pipeline.options;
      const settings = dataflowSettingsOf(options);
      const graph = this.pipeline.graph();
      checkRunnerSupport("dataflow", graph, options);
      const streaming = options["streaming"] === true || [...graph.pcollections.values()].some((pc) => !pc.isBounded);
      const jobName = settings.jobName ?? defaultJobName();
      // Job-specific folders, so jobs sharing a bucket never overwrite each other's files (Beam Python's suffix).
      const suffix = `${jobName}.${(Date.now() / 1000).toFixed(6)}`;
      const stagingDir = joinGcs(settings.stagingLocation, suffix);
      const tempDir = joinGcs(settings.tempLocation, suffix);
      staged = await stagePipeline({ entry: pipelineModuleOf(options, "--runner=dataflow"), graph, externals: externalsOf(options) });
      const translated = pipelineToProto(graph, { type: "docker", image: settings.image, dependencies: staged.dependencies });
      const { pipeline: proto, artifacts } = await expandExternalTransforms(graph, translated, staged.contents);
      const plan = planStaging(proto, artifacts, stagingDir);
      const workerOptions = {
        ...plainOptions(options),
        jobName,
        project: settings.project,
        region: settings.region,
        tempLocation: tempDir,
        stagingLocation: stagingDir,
        beamTsFingerprint: fingerprintOf(graph),
        // Workers import the pipeline module again with the submitter's command line (boot.ts's submittedArgv).
        beamTsArgv: process.argv.slice(2),
      };
      const request = (replaceJobId?: string): DataflowJob =>
        jobRequest({
          settings,
          jobName,
          tempLocation: tempDir,
          streaming,
          pipelineUrl: plan.pipelineUrl,
          pipelineProtoHash: plan.pipelineProtoHash,
          packages: plan.packages,
          environments: containerEnvironments(plan.pipeline),
          options: workerOptions,
          clientRequestId: clientRequestId(),
          ...(replaceJobId !== undefined ? { replaceJobId } : {}),
          sdkVersion: sdkVersion(),
        });
      if (settings.jobFile !== undefined) return await this.writeJobFile(settings, request());
      if (this.cancelRequested) return (this.current = "CANCELLED");
      const client = new DataflowClient(settings.endpoint, settings.project, settings.region, this.deps.token ?? applicationDefaultToken());
      this.client = client;
      const replaceJobId = settings.update ? await replacedJob(client, jobName) : undefined;
      await stageFiles(plan, this.deps.writeStagedFile, options);
      const job = request(replaceJobId);
      const created = await client.create(job);
      if (created.clientRequestId !== undefined && created.clientRequestId !== job.clientRequestId) {
        // Dataflow answers a create with the existing job when one of the name is active (Beam Python's check).
        throw new JobFailedError(
          `A Dataflow job named ${jobName} is already running (id ${created.id ?? "?"}): Dataflow returned it instead of creating a new one. ` +
            `Choose another --jobName, or replace the running job with --update.`,
        );
      }
      this.jobId = created.id;
      if (this.jobId === undefined) throw new JobFailedError(`Dataflow created the job ${jobName} but returned no job id.`);
      this.markCreated();
      announce(`Dataflow job ${this.jobId} (${jobName}) submitted in ${settings.project}/${settings.region}.\n  console: ${client.consoleUrl(this.jobId)}`);
      if (this.cancelRequested) await client.requestState(this.jobId, "JOB_STATE_CANCELLED");
      if (settings.detached) {
        announce(`left running (--detached); cancel it in the console or with: gcloud dataflow jobs cancel ${this.jobId} --region=${settings.region} --project=${settings.project}`);
        return this.current;
      }
      return await this.follow(client, this.jobId);
    } catch (err) {
      this.current = "FAILED";
      if (err instanceof BeamError) throw err;
      throw new JobFailedError(`Dataflow job failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, verbose: verboseFailures(this.pipeline.options) });
    } finally {
      await staged?.dispose();
    }
  }

  private async writeJobFile(settings: DataflowSettings, job: DataflowJob): Promise<JobState> {
    const file = path.resolve(settings.jobFile!);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(job, null, 2) + "\n");
    const replace = settings.update ? " (--update: replaceJobId is looked up only when submitting)" : "";
    announce(`wrote the Dataflow job request to ${file}${replace}; nothing was staged or submitted (--dataflowJobFile).`);
    return (this.current = "DONE");
  }

  /** Polls the job until it is in a terminal state, saying each state change once. */
  private async follow(client: DataflowClient, jobId: string): Promise<JobState> {
    let last = "";
    for (;;) {
      const job = await client.get(jobId);
      const state = job.currentState ?? "JOB_STATE_UNKNOWN";
      if (state !== last) {
        if (!quiet(this.pipeline.options)) announce(`Dataflow job ${jobId}: ${state}`);
        last = state;
      }
      this.current = STATES[state] ?? "RUNNING";
      if (TERMINAL.has(state)) break;
      await new Promise((r) => setTimeout(r, this.deps.pollMillis ?? 5000));
    }
    if (this.current === "FAILED") {
      const errors = await client.messages(jobId, "JOB_MESSAGE_ERROR").catch(() => []);
      const reasons = errors.slice(-5).map((m) => `  ${m.time ?? ""} ${m.messageText ?? ""}`.trimEnd());
      throw new JobFailedError(
        `Dataflow job ${jobId} failed.${reasons.length > 0 ? `\n${reasons.join("\n")}` : ""}\n  console: ${client.consoleUrl(jobId)}`,
        { verbose: verboseFailures(this.pipeline.options) },
      );
    }
    return this.current;
  }
}

/** The job `--update` replaces: the active job of the same name, which must exist. */
async function replacedJob(client: DataflowClient, jobName: string): Promise<string> {
  const id = await client.activeJobNamed(jobName);
  if (id === undefined) throw new OptionsError(`--update: no running Dataflow job is named ${jobName}. Check --jobName, --project and --region, or submit without --update.`);
  return id;
}

/**
 * The pipeline's environments as Dataflow's SDK containers. Dataflow starts workers only
 * from images: an environment of another kind (a cross-language transform's PROCESS or
 * EXTERNAL environment) is refused here, before anything is staged.
 */
export function containerEnvironments(pipeline: ProtoPipeline): ContainerEnvironment[] {
  const used = new Set(Object.values(pipeline.components?.transforms ?? {}).map((t) => t.environmentId));
  const out: ContainerEnvironment[] = [];
  for (const [id, env] of Object.entries(pipeline.components?.environments ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!used.has(id)) continue;
    if (env.urn !== DOCKER) {
      throw new OptionsError(`Dataflow runs workers only in Docker environments, but the environment ${id} is ${env.urn}: give its transforms a container image.`);
    }
    out.push({ id, image: DockerPayload.decode(env.payload).containerImage, capabilities: env.capabilities });
  }
  return out;
}

/**
 * The options workers get back (sdkPipelineOptions.options): plain values under their
 * camelCase names. A secret option is left out: the Dataflow console shows a job's options to
 * everyone who may view the job (the workers read secrets from the command line, see docs).
 */
function plainOptions(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (Secret.isSecret(value)) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[key] = value;
  }
  return out;
}

function externalsOf(options: Readonly<Record<string, unknown>>): string[] {
  return String(options["stagingExternals"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * A job name when `--jobName` is not given, as Beam Python makes one:
 * `beamapp-<user>-<MMDDhhmmss>-<microseconds>-<8 random>`, at most 63 characters.
 */
export function defaultJobName(user = safeUser(), now = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const date = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}-${pad(now.getUTCMilliseconds() * 1000, 6)}`;
  const random = Array.from({ length: 8 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)]).join("");
  let app = `beamapp-${user.toLowerCase().replace(/[^-a-z0-9]/g, "")}`;
  const overflow = `${app}-${date}-${random}`.length - 63;
  if (overflow > 0) app = app.slice(0, app.length - overflow);
  return `${app.replace(/-+$/, "")}-${date}-${random}`;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "user";
  }
}

/** A unique id of this create request, re-used on retries (Beam Python's format: a UTC time and a number). */
function clientRequestId(): string {
  const now = new Date();
  const digits = now.toISOString().replace(/[-:TZ.]/g, "");
  return `${digits}000-${1000 + Math.floor(Math.random() * 9000)}`;
}

let version: string | undefined;

/** This installation's version (package.json, three folders above src/runners/dataflow or dist/runners/dataflow). */
function sdkVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      version = "unknown";
    }
  }
  return version;
}

function quiet(options: Readonly<Record<string, unknown>>): boolean {
  return options["quiet"] === true || options["quiet"] === "true" || process.env["BEAM_TS_QUIET"] === "1";
}

/** A line for the person at the terminal (stderr, as the other runners' notices). */
function announce(text: string): void {
  process.stderr.write(`beam-ts: ${text}\n`);
}
