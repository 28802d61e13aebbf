import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { OptionsError } from "../../model/index.js";
import type { Pipeline } from "../../pipeline/index.js";
import { ARGV_OPTION } from "../../harness/index.js";
import type { EnvironmentOptions } from "./environment-proto.js";
import { stagePipeline } from "./staging.js";
import { pipelineModuleOf } from "../pipeline-module.js";

/** Beam's `--environmentType` values beam-ts supports. */
export type EnvironmentType = "LOOPBACK" | "PROCESS" | "EXTERNAL" | "DOCKER";

/** The `--environmentType` of a pipeline: LOOPBACK unless set. */
export function environmentTypeOf(options: Readonly<Record<string, unknown>>): EnvironmentType {
  const raw = options["environmentType"];
  if (raw === undefined || raw === null || raw === "") return "LOOPBACK";
  const type = String(raw).toUpperCase();
  if (type === "LOOPBACK" || type === "PROCESS" || type === "EXTERNAL" || type === "DOCKER") return type;
  throw new OptionsError(`--environmentType=${String(raw)} is not supported by beam-ts: use LOOPBACK, PROCESS, EXTERNAL or DOCKER.`);
}

/** A job's worker environment with its staged artifacts. */
export interface StagedEnvironment {
  readonly env: EnvironmentOptions;
  /** Artifact bytes by `artifactKey`, for the job service's artifact staging. */
  readonly artifacts: ReadonlyMap<string, Uint8Array>;
  /** Pipeline options the workers need: the submitter's command line. */
  readonly options: Record<string, unknown>;
  dispose(): Promise<void>;
}

/**
 * The environment of a job whose workers run in their own processes (PROCESS, EXTERNAL,
 * DOCKER): the pipeline module is bundled and staged (staging.ts), and the submitter's
 * command line goes along as `beam:option:beam_ts_argv:v1`, so the workers import the
 * module with the same arguments and rebuild the same graph.
 */
export async function stagedEnvironment(pipeline: Pipeline, type: Exclude<EnvironmentType, "LOOPBACK">): Promise<StagedEnvironment> {
  const options = pipeline.options;
  const config = typeof options["environmentConfig"] === "string" ? options["environmentConfig"] : "";
  const entry = pipelineModuleOf(options, `--environmentType=${type}`);
  const env = environmentFor(type, config);
  const externals = String(options["stagingExternals"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const staged = await stagePipeline({ entry, graph: pipeline.graph(), externals });
  return {
    env: { ...env, dependencies: staged.dependencies },
    artifacts: staged.contents,
    options: { [ARGV_OPTION]: process.argv.slice(2) },
    dispose: () => staged.dispose(),
  };
}

function environmentFor(type: Exclude<EnvironmentType, "LOOPBACK">, config: string): EnvironmentOptions {
  switch (type) {
    case "PROCESS": {
      const { command, env } = processConfig(config);
      return { type: "process", command, env };
    }
    case "EXTERNAL":
      if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(config)) {
        throw new OptionsError(
          `--environmentType=EXTERNAL needs --environmentConfig=host:port of a beam-ts worker pool (start one with ` +
            `\`beam-ts worker-pool --port=50000\`); got "${config}".`,
        );
      }
      return { type: "external", endpoint: config };
    case "DOCKER":
      if (config === "") throw new OptionsError(`--environmentType=DOCKER needs --environmentConfig=<image> (see docs/CONTAINER.md).`);
      return { type: "docker", image: config };
  }
}

/**
 * PROCESS configuration, as Beam's: `{"command": "...", "env": {...}}`; a bare path is the
 * command. Without one, this installation's boot launcher (bin/beam-ts-boot.js).
 */
function processConfig(config: string): { command: string; env: Record<string, string> } {
  if (config === "") return { command: defaultBootCommand(), env: {} };
  if (!config.trimStart().startsWith("{")) return { command: config, env: {} };
  let parsed: { command?: unknown; env?: unknown };
  try {
    parsed = JSON.parse(config) as typeof parsed;
  } catch (err) {
    throw new OptionsError(`--environmentConfig for PROCESS is not valid JSON: ${(err as Error).message}. Expected {"command": "<path>", "env": {...}}.`);
  }
  const env: Record<string, string> = {};
  if (typeof parsed.env === "object" && parsed.env !== null) for (const [k, v] of Object.entries(parsed.env)) env[k] = String(v);
  return { command: typeof parsed.command === "string" && parsed.command !== "" ? parsed.command : defaultBootCommand(), env };
}

/** This installation's `beam-ts boot` launcher: an executable a runner can start without a shell. */
export function defaultBootCommand(): string {
  const file = fileURLToPath(new URL("../../../bin/beam-ts-boot.js", import.meta.url));
  if (!existsSync(file)) throw new OptionsError(`This installation has no boot launcher at ${file}: set --environmentConfig='{"command": "<path>"}'.`);
  return file;
}
