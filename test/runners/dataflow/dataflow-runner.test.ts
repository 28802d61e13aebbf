/**
 * The Dataflow submission client (--runner=dataflow) against a loopback stand-in for the
 * Dataflow v1b3 API (fake-dataflow.ts, which checks every request body against the API's
 * published schemas) and, for staging, fake-gcs-server (BEAM_TS_SERVERS with "gcs"). A real
 * Dataflow submission is not exercised here (docs/DATAFLOW.md).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Storage } from "@google-cloud/storage";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { JobFailedError, OptionsError, Pipeline, defineOptions } from "../../../src/index.js";
import { DataflowRunner, type DataflowRunnerDeps } from "../../../src/runners/dataflow/index.js";
import { ArtifactStagingToRolePayload, ArtifactUrlPayload, DockerPayload, Pipeline as ProtoPipeline } from "../../../src/proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import type { DataflowJob } from "../../../src/runners/dataflow/job-request.js";
import { problemsOf } from "./dataflow-schema.js";
import { methodPath, startFakeDataflow, type FakeDataflow, type FakeDataflowOptions } from "./fake-dataflow.js";
import { wordLengths } from "./fixtures/word-lengths.js";

const MODULE = path.join(import.meta.dirname, "fixtures", "word-lengths.ts");
const IMAGE = "us-docker.pkg.dev/beam-ts-test/workers/beam-ts-worker:0.1.0";
const TOKEN = "ya29.test-token-never-printed";
const PROJECT = "beam-ts-test";
const REGION = "europe-west1";
const gcsEndpoint = inject("gcsEndpoint");
const tmp = mkdtempSync(path.join(os.tmpdir(), "beam-ts-dataflow-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let fake: FakeDataflow | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  vi.restoreAllMocks();
});

async function fakeDataflow(overrides: Partial<FakeDataflowOptions> = {}): Promise<FakeDataflow> {
  fake = await startFakeDataflow({ project: PROJECT, region: REGION, token: TOKEN, ...overrides });
  return fake;
}

function options(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    runner: "dataflow",
    project: PROJECT,
    region: REGION,
    tempLocation: "gs://beam-ts-dataflow/tmp",
    sdkContainerImage: IMAGE,
    pipelineModule: MODULE,
    jobName: "word-lengths",
    ...extra,
  };
}

/** A Dataflow runner with staging into memory and a fixed token (the registered one uses gs:// and ADC). */
function runner(deps: Partial<DataflowRunnerDeps> = {}): { runner: DataflowRunner; staged: Map<string, Uint8Array> } {
  const staged = new Map<string, Uint8Array>();
  const r = new DataflowRunner({ writeStagedFile: async (p, bytes) => void staged.set(p, bytes), token: async () => TOKEN, pollMillis: 1, ...deps });
  return { runner: r, staged };
}

function pipeline(extra: Record<string, unknown> = {}): Pipeline {
  const p = new Pipeline(options(extra));
  wordLengths(p);
  return p;
}

/** The body of the one jobs.create request. */
function createdBody(server: FakeDataflow): DataflowJob {
  const creates = server.requests.filter((r) => r.method === "POST");
  expect(creates).toHaveLength(1);
  return creates[0]!.body as DataflowJob;
}

/** What the runner printed on stderr while `f` ran. */
async function stderrOf(f: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await f();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.join("");
}

describe("Dataflow options", () => {
  it("names every missing option, with its fix, where options are parsed", () => {
    expect(() => defineOptions({}).parse(["--runner=dataflow"])).toThrow(OptionsError);
    let message = "";
    try {
      defineOptions({}).parse(["--runner=dataflow"]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/--runner=dataflow needs --region=<region>/);
    expect(message).toMatch(/--runner=dataflow needs --tempLocation=gs:\/\//);
    expect(message).toMatch(/--runner=dataflow needs --sdkContainerImage=<image>.*docs\/CONTAINER\.md/);
  });

  it("refuses what Dataflow would refuse: job names, non-gs locations, other environments, cleartext tokens", () => {
    const { runner: r } = runner();
    const problems = r.checkOptions(
      options({
        jobName: "Word_Lengths",
        tempLocation: "/tmp/x",
        environmentType: "PROCESS",
        dataflowEndpoint: "http://dataflow.example.com",
        labels: "Team=data",
        transformNameMapping: '{"A":"B"}',
      }),
    );
    expect(problems.join("\n")).toMatch(/--jobName=Word_Lengths is not a valid Dataflow job name.*--jobName=word-lengths/);
    expect(problems.join("\n")).toMatch(/--tempLocation=\/tmp\/x must be a Cloud Storage folder/);
    expect(problems.join("\n")).toMatch(/--environmentType=PROCESS cannot run on Dataflow/);
    expect(problems.join("\n")).toMatch(/--dataflowEndpoint=http:\/\/dataflow\.example\.com: requests carry an OAuth2 token/);
    expect(problems.join("\n")).toMatch(/the key "Team" is not a valid label key/);
    expect(problems.join("\n")).toMatch(/--transformNameMapping renames steps .* add --update/);
    expect(r.checkOptions(options())).toEqual([]);
  });
});

describe("the v1b3 schema check", () => {
  it("finds fields a request must not carry, wrong types, values outside an enum and output-only fields", () => {
    const problems = problemsOf("Job", {
      name: "wc",
      type: "JOB_TYPE_NIGHTLY",
      currentState: "JOB_STATE_RUNNING",
      environment: { workerPools: [{ numWorkers: "2", sdkHarnessContainerImages: [{ image: "x" }] }], shuffleMode: "VM_BASED" },
      steps: [],
    });
    expect(problems).toEqual([
      'Job.type: "JOB_TYPE_NIGHTLY" is not one of JOB_TYPE_UNKNOWN, JOB_TYPE_BATCH, JOB_TYPE_STREAMING',
      "Job.currentState: output only, set by the service",
      'Job.environment.workerPools[0].numWorkers: expected an integer, got "2"',
      "Job.environment.workerPools[0].sdkHarnessContainerImages[0].image: not a field of SdkHarnessContainerImage",
      "Job.environment.shuffleMode: not a field of Environment",
      "Job.steps: not a field of Job",
    ]);
  });
});

describe("--dataflowJobFile", () => {
  it("writes a request that conforms to the v1b3 schema, and stages and submits nothing", async () => {
    const server = await fakeDataflow();
    const { runner: r, staged } = runner();
    const file = path.join(tmp, "job.json");
    const p = pipeline({ dataflowJobFile: file, dataflowEndpoint: server.url, labels: "team=data,env=test" });
    const printed = await stderrOf(async () => expect(await r.run(p).waitUntilFinish()).toBe("DONE"));
    expect(printed).toContain(`wrote the Dataflow job request to ${file}`);
    expect(server.requests).toEqual([]);
    expect(staged.size).toBe(0);
    const job = JSON.parse(readFileSync(file, "utf8")) as DataflowJob;
    expect(problemsOf("Job", job)).toEqual([]);
    expect(job).toMatchObject({ name: "word-lengths", projectId: PROJECT, location: REGION, type: "JOB_TYPE_BATCH", labels: { team: "data", env: "test" } });
    expect(job.environment.experiments).toEqual(expect.arrayContaining(["use_runner_v2", "use_portable_job_submission", "beam_fn_api"]));
    expect(job.environment.tempStoragePrefix).toMatch(/^storage\.googleapis\.com\/beam-ts-dataflow\/tmp\/word-lengths\.\d+\.\d{6}$/);
    expect(job.environment.version).toEqual({ job_type: "FNAPI_BATCH", major: "8" });
    const pool = job.environment.workerPools[0]!;
    expect(pool.kind).toBe("harness");
    expect(pool.workerHarnessContainerImage).toBe(IMAGE);
    expect(pool.sdkHarnessContainerImages).toEqual([expect.objectContaining({ containerImage: IMAGE, environmentId: "beam-ts" })]);
    expect(pool.packages.map((p) => p.name).sort()).toEqual(["fingerprint.json", "pipeline.mjs"]);
    expect(String(job.environment.sdkPipelineOptions.options["pipelineUrl"])).toMatch(/^gs:\/\/beam-ts-dataflow\/tmp\/word-lengths\.[\d.]+\/pipeline\.pb$/);
    expect(job.environment.sdkPipelineOptions.options["beamTsArgv"]).toEqual(process.argv.slice(2));
  });

  it("makes a streaming job of a pipeline run with --streaming, with a data disk", async () => {
    const { runner: r } = runner();
    const file = path.join(tmp, "streaming.json");
    await r.run(pipeline({ dataflowJobFile: file, streaming: true, numWorkers: 2, maxNumWorkers: 5, autoscalingAlgorithm: "THROUGHPUT_BASED" })).waitUntilFinish();
    const job = JSON.parse(readFileSync(file, "utf8")) as DataflowJob;
    expect(problemsOf("Job", job)).toEqual([]);
    expect(job.type).toBe("JOB_TYPE_STREAMING");
    expect(job.environment.version.job_type).toBe("FNAPI_STREAMING");
    expect(job.environment.workerPools[0]).toMatchObject({ numWorkers: 2, autoscalingSettings: { maxNumWorkers: 5, algorithm: "AUTOSCALING_ALGORITHM_BASIC" }, dataDisks: [{}] });
  });
});

describe("submission", () => {
  it("creates the job at the published path with a bearer token, prints its id and console URL, and follows it to DONE", async () => {
    const server = await fakeDataflow({ states: ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_DONE"] });
    const { runner: r, staged } = runner();
    let state = "";
    const printed = await stderrOf(async () => (state = await r.run(pipeline({ dataflowEndpoint: server.url })).waitUntilFinish()));
    expect(state).toBe("DONE");
    expect(server.schemaProblems).toEqual([]);
    const create = server.requests.find((q) => q.method === "POST")!;
    expect(create.path).toBe(methodPath("create", { projectId: PROJECT, location: REGION }));
    expect(create.authorization).toBe(`Bearer ${TOKEN}`);
    const id = "2026-12-07_10_00_00-1000";
    expect(server.requests.filter((q) => q.method === "GET").map((q) => q.path)).toEqual(
      Array(3).fill(methodPath("get", { projectId: PROJECT, location: REGION, jobId: id })),
    );
    expect(printed).toContain(`Dataflow job ${id} (word-lengths) submitted in ${PROJECT}/${REGION}`);
    expect(printed).toContain(`https://console.cloud.google.com/dataflow/jobs/${REGION}/${id}?project=${PROJECT}`);
    expect(printed).not.toContain(TOKEN);
    // What the request names was staged first: the bundle, its fingerprint and the pipeline proto.
    const body = createdBody(server);
    expect([...staged.keys()].map((k) => path.basename(k)).sort()).toEqual(["fingerprint.json", "pipeline.mjs", "pipeline.pb"]);
    expect(staged.has(String(body.environment.sdkPipelineOptions.options["pipelineUrl"]))).toBe(true);
  });

  it("leaves the job running with --detached after printing its id", async () => {
    const server = await fakeDataflow({ states: ["JOB_STATE_RUNNING"] });
    const { runner: r } = runner();
    const printed = await stderrOf(async () => expect(await r.run(pipeline({ dataflowEndpoint: server.url, detached: true })).waitUntilFinish()).toBe("RUNNING"));
    expect(server.requests.filter((q) => q.method === "GET")).toEqual([]);
    expect(printed).toMatch(/left running \(--detached\).*gcloud dataflow jobs cancel 2026-12-07_10_00_00-1000 --region=europe-west1/);
  });

  it("fails with Dataflow's error messages when the job fails", async () => {
    const server = await fakeDataflow({ states: ["JOB_STATE_RUNNING", "JOB_STATE_FAILED"], errorMessages: ["Workflow failed. Causes: the worker image could not be pulled"] });
    const { runner: r } = runner();
    const result = r.run(pipeline({ dataflowEndpoint: server.url }));
    const err = await stderrOf(() => result.waitUntilFinish()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as Error).message).toMatch(/Dataflow job 2026-12-07_10_00_00-1000 failed\.\n.*the worker image could not be pulled\n {2}console: https:\/\/console/);
    expect(result.state).toBe("FAILED");
  });

  it("cancels a running job through jobs.update", async () => {
    const server = await fakeDataflow({ states: ["JOB_STATE_RUNNING"] });
    const { runner: r } = runner({ pollMillis: 20 });
    const result = r.run(pipeline({ dataflowEndpoint: server.url }));
    await stderrOf(async () => {
      while (!server.requests.some((q) => q.method === "GET")) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await result.cancel()).toBe("CANCELLED");
    });
    const update = server.requests.find((q) => q.method === "PUT")!;
    expect(update.path).toBe(methodPath("update", { projectId: PROJECT, location: REGION, jobId: "2026-12-07_10_00_00-1000" }));
    expect(update.body).toEqual({ requestedState: "JOB_STATE_CANCELLED" });
    expect(server.schemaProblems).toEqual([]);
  });

  it("drains a running job through jobs.update and ends DRAINED", async () => {
    const server = await fakeDataflow({ states: ["JOB_STATE_RUNNING"] });
    const { runner: r } = runner({ pollMillis: 20 });
    const result = r.run(pipeline({ dataflowEndpoint: server.url, streaming: true }));
    await stderrOf(async () => expect(await result.drain()).toBe("DRAINED"));
    expect(server.requests.find((q) => q.method === "PUT")?.body).toEqual({ requestedState: "JOB_STATE_DRAINING" });
    expect(server.schemaProblems).toEqual([]);
  });

  it("replaces the running job of the same name with --update and --transformNameMapping", async () => {
    const server = await fakeDataflow({ activeJobs: [{ id: "2026-12-01_00_00_00-7", name: "word-lengths", currentState: "JOB_STATE_RUNNING" }] });
    const { runner: r } = runner();
    await stderrOf(async () => r.run(pipeline({ dataflowEndpoint: server.url, update: true, transformNameMapping: '{"Split":"Tokenize"}' })).waitUntilFinish());
    expect(server.schemaProblems).toEqual([]);
    expect(createdBody(server)).toMatchObject({ replaceJobId: "2026-12-01_00_00_00-7", transformNameMapping: { Split: "Tokenize" } });
  });

  it("refuses --update when no job of the name is running, before staging anything", async () => {
    const server = await fakeDataflow({ activeJobs: [] });
    const { runner: r, staged } = runner();
    await expect(stderrOf(() => r.run(pipeline({ dataflowEndpoint: server.url, update: true })).waitUntilFinish())).rejects.toThrow(/--update: no running Dataflow job is named word-lengths/);
    expect(staged.size).toBe(0);
  });

  it("shows the API's status, message and a hint, never the token, when the create is refused", async () => {
    const server = await fakeDataflow({ failCreate: { status: 403, apiStatus: "PERMISSION_DENIED", message: "Permission 'dataflow.jobs.create' denied on project beam-ts-test" } });
    const { runner: r } = runner();
    const err = (await stderrOf(() => r.run(pipeline({ dataflowEndpoint: server.url })).waitUntilFinish()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/could not create the job: HTTP 403 PERMISSION_DENIED: Permission 'dataflow.jobs.create' denied.*Check the credentials.*roles\/dataflow.developer/);
    expect(err.message).not.toContain(TOKEN);
  });

  it("says so when Dataflow answers with the job of the same name that is already running", async () => {
    const server = await fakeDataflow({ duplicate: true });
    const { runner: r } = runner();
    await expect(stderrOf(() => r.run(pipeline({ dataflowEndpoint: server.url })).waitUntilFinish())).rejects.toThrow(/A Dataflow job named word-lengths is already running.*--update/);
  });
});

describe.skipIf(gcsEndpoint === "")("submission through --runner=dataflow, staging to Cloud Storage (fake-gcs-server)", () => {
  const bucket = `dataflow-${Date.now()}`;
  const saved: Record<string, string | undefined> = {};
  const ENV = ["GCE_METADATA_HOST", "METADATA_SERVER_DETECTION", "GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST"];
  beforeAll(async () => {
    await new Storage({ apiEndpoint: gcsEndpoint, projectId: PROJECT }).createBucket(bucket);
    for (const k of ENV) saved[k] = process.env[k];
  });
  afterAll(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("stages the bundle and the Runner API pipeline with URL artifacts, and creates the job with Application Default Credentials", async () => {
    const server = await fakeDataflow();
    // Application Default Credentials from a Compute Engine metadata server: the fake serves its token endpoint.
    delete process.env["GOOGLE_APPLICATION_CREDENTIALS"];
    process.env["GCE_METADATA_HOST"] = server.host;
    process.env["METADATA_SERVER_DETECTION"] = "assume-present";
    const p = new Pipeline(options({ dataflowEndpoint: server.url, tempLocation: `gs://${bucket}/tmp`, stagingLocation: `gs://${bucket}/staging`, gcsEndpoint, gcpProject: PROJECT }));
    wordLengths(p);
    const printed = await stderrOf(async () => expect(await p.run().waitUntilFinish()).toBe("DONE"));
    expect(printed).not.toContain(TOKEN);
    expect(server.schemaProblems).toEqual([]);
    expect(server.requests.find((q) => q.method === "POST")?.authorization).toBe(`Bearer ${TOKEN}`);

    const body = createdBody(server);
    const storage = new Storage({ apiEndpoint: gcsEndpoint, projectId: PROJECT });
    const read = async (gs: string) => (await storage.bucket(bucket).file(gs.slice(`gs://${bucket}/`.length)).download())[0];
    const pipelineUrl = String(body.environment.sdkPipelineOptions.options["pipelineUrl"]);
    expect(pipelineUrl).toMatch(new RegExp(`^gs://${bucket}/staging/word-lengths\\.[\\d.]+/pipeline\\.pb$`));
    const proto = ProtoPipeline.decode(await read(pipelineUrl));
    expect(body.environment.sdkPipelineOptions.options["pipelineProtoHash"]).toBe(createHash("sha256").update(await read(pipelineUrl)).digest("hex"));
    const env = proto.components!.environments["beam-ts"]!;
    expect(DockerPayload.decode(env.payload).containerImage).toBe(IMAGE);
    // Every dependency is now the URL of its staged copy, under the name workers know it by.
    for (const dep of env.dependencies) {
      expect(dep.typeUrn).toBe("beam:artifact:type:url:v1");
      const { url, sha256 } = ArtifactUrlPayload.decode(dep.typePayload);
      const name = ArtifactStagingToRolePayload.decode(dep.rolePayload).stagedName;
      expect(url).toBe(pipelineUrl.replace(/pipeline\.pb$/, name));
      expect(createHash("sha256").update(await read(url)).digest("hex")).toBe(sha256);
      expect(body.environment.workerPools[0]!.packages).toContainEqual({ name, location: url.replace("gs:/", "storage.googleapis.com") });
    }
    expect(env.dependencies.map((d) => ArtifactStagingToRolePayload.decode(d.rolePayload).stagedName).sort()).toEqual(["fingerprint.json", "pipeline.mjs"]);
  });
});
