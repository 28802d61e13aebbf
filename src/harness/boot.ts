import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Metadata, credentials, type ServiceError } from "@grpc/grpc-js";
import { JobFailedError, OptionsError } from "../model/index.js";
import { ProvisionServiceClient, type ProvisionInfo } from "../proto/org/apache/beam/model/fn_execution/v1/beam_provision_api.js";
import { ArtifactRetrievalServiceClient, type GetArtifactResponse } from "../proto/org/apache/beam/model/job_management/v1/beam_artifact_api.js";
import { ArtifactStagingToRolePayload, type ArtifactInformation } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../proto/urns.js";
import { serveFailure } from "./failed-worker.js";
import { logOnce } from "./logging.js";
import { ARGV_OPTION, STAGED_BUNDLE, STAGED_FINGERPRINT, WorkerEnv } from "./worker-contract.js";

const ROLES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Roles"];

/**
 * The flags of Beam's worker boot contract (https://s.apache.org/beam-fn-api-container-contract),
 * as runners pass them to a PROCESS command, a DOCKER entrypoint or, from a worker pool's
 * StartWorker, to our own boot: `--id` and `--provision_endpoint` are required; the other
 * endpoints default to what GetProvisionInfo returns (which wins, as in Beam's Java boot).
 */
export interface BootFlags {
  readonly id: string;
  readonly provisionEndpoint: string;
  readonly controlEndpoint?: string;
  readonly artifactEndpoint?: string;
  readonly loggingEndpoint?: string;
  /** Where the staged files go (a fresh directory below it per worker); default: the OS temp dir. */
  readonly semiPersistDir?: string;
}

const FLAG_NAMES: Record<string, keyof BootFlags> = {
  id: "id",
  provision_endpoint: "provisionEndpoint",
  control_endpoint: "controlEndpoint",
  artifact_endpoint: "artifactEndpoint",
  logging_endpoint: "loggingEndpoint",
  semi_persist_dir: "semiPersistDir",
};

/**
 * Parses boot flags in every spelling runners use: `--flag=value`, `--flag value`, Go's
 * single dash, snake_case, kebab-case and camelCase. Values lose one pair of surrounding
 * quotes (Prism's PROCESS environment passes `--id='<id>'` without a shell). Unknown flags
 * are ignored, since runners add their own.
 */
export function parseBootFlags(argv: readonly string[]): BootFlags {
  const values: Partial<Record<keyof BootFlags, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z_-]+)(?:=(.*))?$/s.exec(arg);
    if (m === null) continue;
    const key = FLAG_NAMES[m[1]!.replace(/-/g, "_").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
    if (key === undefined) continue;
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("-")) continue;
      value = next;
      i++;
    }
    values[key] = unquote(value);
  }
  const problems: string[] = [];
  if (!values.id) problems.push("--id=<worker id> is required");
  if (!values.provisionEndpoint) problems.push("--provision_endpoint=<host:port> is required");
  if (problems.length > 0) throw new OptionsError(`beam-ts boot: ${problems.join("; ")}. It is started by a runner with Beam's boot flags.`);
  return values as BootFlags;
}

function unquote(s: string): string {
  return s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0] ? s.slice(1, -1) : s;
}

/**
 * Runs before the worker's pipeline module: appends the argv in the file named by
 * WorkerEnv.argvFile to process.argv and deletes the file. Fixed code (a data: URL, since the
 * worker runs no file of beam-ts's own before the staged bundle); the file is only JSON-parsed.
 */
const ARGV_PRELOAD =
  "data:text/javascript," +
  encodeURIComponent(
    `import { readFileSync, rmSync } from "node:fs";` +
      `const file = process.env[${JSON.stringify(WorkerEnv.argvFile)}];` +
      `if (file) { process.argv.push(...JSON.parse(readFileSync(file, "utf8")).map(String)); rmSync(file, { force: true }); }`,
  );

/** A worker process that boot started, and how to stop it. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 1 when killed by a signal) once the process ended and its files are gone. */
  readonly exited: Promise<number>;
  /** Sends SIGTERM (the harness ends its streams and exits). */
  stop(): void;
}

/**
 * Beam's boot for beam-ts: GetProvisionInfo (pipeline options with the submitter's argv,
 * endpoints, the environment's artifacts), ArtifactRetrievalService into a fresh temporary
 * directory (pipeline.mjs and fingerprint.json), then `node pipeline.mjs` with the submitter's
 * argv passed through a file (ARGV_PRELOAD) and the worker's id and endpoints in its environment. If boot itself fails after it learnt the
 * control endpoint, it answers the runner's instructions with the error so the job fails
 * with the reason.
 */
export async function bootWorker(flags: BootFlags, stdio: StdioOptions = "inherit"): Promise<WorkerProcess> {
  const metadata = new Metadata();
  metadata.set("worker_id", flags.id);
  let control = flags.controlEndpoint ?? "";
  let dir: string | undefined;
  let logging = flags.loggingEndpoint ?? "";
  try {
    const info = await provisionInfo(flags.provisionEndpoint, metadata);
    control = info.controlEndpoint?.url || control;
    const artifacts = info.artifactEndpoint?.url || flags.artifactEndpoint || "";
    logging = info.loggingEndpoint?.url || logging;
    if (control === "") throw new Error("neither GetProvisionInfo nor --control_endpoint names the control endpoint.");
    if (artifacts === "") throw new Error("neither GetProvisionInfo nor --artifact_endpoint names the artifact endpoint.");
    if (info.dependencies.length === 0) {
      throw new Error(
        `the environment has no staged artifacts, so there is no pipeline module to run. Submit with beam-ts ` +
          `(--environmentType=PROCESS, EXTERNAL or DOCKER), which stages ${STAGED_BUNDLE} and ${STAGED_FINGERPRINT}.`,
      );
    }
    dir = await mkdtemp(path.join(flags.semiPersistDir ?? os.tmpdir(), "beam-ts-worker-"));
    const files = await retrieveArtifacts(artifacts, metadata, info.dependencies, dir);
    for (const name of [STAGED_BUNDLE, STAGED_FINGERPRINT]) {
      if (!files.includes(name)) throw new Error(`the staged artifacts (${files.join(", ")}) lack ${name}.`);
    }
    const argv = submittedArgv(info.pipelineOptions ?? {});
    const argvFile = path.join(dir, "argv.json");
    await writeFile(argvFile, JSON.stringify(argv), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [WorkerEnv.argvFile]: argvFile,
      [WorkerEnv.workerId]: flags.id,
      [WorkerEnv.controlEndpoint]: control,
      [WorkerEnv.loggingEndpoint]: logging,
      [WorkerEnv.fingerprintFile]: path.join(dir, STAGED_FINGERPRINT),
      [WorkerEnv.stagedDir]: dir,
    };
    // Source maps give the bundle the submitter's file:line positions, which default
    // transform names are made of (pipeline/naming.ts).
    // The argv goes through a file, not the command line, where any user of the machine could
    // read the options (passwords, tokens) in the process list.
    const child = spawn(process.execPath, ["--enable-source-maps", "--import", ARGV_PRELOAD, path.join(dir, STAGED_BUNDLE)], { env, stdio });
    const staged = dir;
    const exited = new Promise<number>((resolve) => {
      child.on("error", () => resolve(1));
      child.on("exit", (code) => resolve(code ?? 1));
    }).then(async (code) => {
      await rm(staged, { recursive: true, force: true });
      return code;
    });
    await logOnce(logging, flags.id, "INFO", `beam-ts boot: started worker ${flags.id} as process ${child.pid ?? "?"}`).catch(() => {});
    return { child, exited, stop: () => void child.kill("SIGTERM") };
  } catch (err) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    const message = `beam-ts boot for worker ${flags.id} failed: ${err instanceof Error ? err.message : String(err)}`;
    await logOnce(logging, flags.id, "ERROR", message).catch(() => {});
    if (control !== "") await serveFailure(control, flags.id, message, 30_000);
    throw new JobFailedError(message, { cause: err });
  }
}

function provisionInfo(endpoint: string, metadata: Metadata): Promise<ProvisionInfo> {
  const client = new ProvisionServiceClient(endpoint, credentials.createInsecure());
  return new Promise<ProvisionInfo>((resolve, reject) => {
    client.getProvisionInfo({}, metadata, { deadline: Date.now() + 60_000 }, (err: ServiceError | null, res) => {
      client.close();
      if (err) reject(new Error(`GetProvisionInfo at ${endpoint}: ${err.message}`, { cause: err }));
      else if (res.info === undefined) reject(new Error(`GetProvisionInfo at ${endpoint} returned no info.`));
      else resolve(res.info);
    });
  });
}

/**
 * Beam's artifact retrieval (as Beam Go's artifact.Materialize): ResolveArtifacts, then
 * GetArtifact for each replacement into `dir` under its staged name. Returns the names.
 */
async function retrieveArtifacts(endpoint: string, metadata: Metadata, dependencies: ArtifactInformation[], dir: string): Promise<string[]> {
  // A runner may send a whole artifact in one message (Prism: up to 128 MB).
  const client = new ArtifactRetrievalServiceClient(endpoint, credentials.createInsecure(), { "grpc.max_receive_message_length": -1 });
  try {
    const resolved = await new Promise<ArtifactInformation[]>((resolve, reject) =>
      client.resolveArtifacts({ artifacts: dependencies, preferredUrns: [] }, metadata, (err, res) =>
        err ? reject(new Error(`ResolveArtifacts at ${endpoint}: ${err.message}`, { cause: err })) : resolve(res.replacements),
      ),
    );
    const names: string[] = [];
    for (const artifact of resolved.length > 0 ? resolved : dependencies) {
      const name = stagedName(artifact);
      const file = path.resolve(dir, name);
      if (!file.startsWith(dir + path.sep)) throw new Error(`the staged name "${name}" points outside the staging directory.`);
      await mkdir(path.dirname(file), { recursive: true });
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(file);
        const stream = client.getArtifact({ artifact }, metadata);
        stream.on("data", (chunk: GetArtifactResponse) => out.write(chunk.data));
        stream.on("error", (err) => {
          out.destroy();
          reject(new Error(`GetArtifact ${name} at ${endpoint}: ${err.message}`, { cause: err }));
        });
        stream.on("end", () => out.end(() => resolve()));
      });
      names.push(name);
    }
    return names;
  } finally {
    client.close();
  }
}

function stagedName(artifact: ArtifactInformation): string {
  if (artifact.roleUrn !== ROLES.STAGING_TO) throw new Error(`an artifact has role ${artifact.roleUrn}; beam-ts stages files with ${ROLES.STAGING_TO}.`);
  return ArtifactStagingToRolePayload.decode(artifact.rolePayload).stagedName;
}

/**
 * The submitter's command-line arguments from the pipeline options. Runners keep the key
 * as sent (Prism) or round-trip it through their own options (Java: camelCase inside,
 * the URN again on the wire); a list may arrive as JSON text.
 */
export function submittedArgv(options: Readonly<Record<string, unknown>>): string[] {
  const nested = options["options"];
  const candidates = [
    options[ARGV_OPTION],
    options["beamTsArgv"],
    options["beam_ts_argv"],
    typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>)["beamTsArgv"] : undefined,
  ];
  for (const value of candidates) {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === "string") {
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch {
        // Not JSON: a single argument.
      }
      return [value];
    }
  }
  return [];
}
