import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { JobFailedError } from "../../model/index.js";
import type { PipelineGraph } from "../../pipeline/index.js";
import { STAGED_BUNDLE, STAGED_FINGERPRINT, fingerprintFileFor } from "../../harness/index.js";
import { ArtifactFilePayload, ArtifactStagingToRolePayload, type ArtifactInformation } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { bundlePipeline, installedModule } from "../pipeline-bundle.js";
import { artifactKey } from "./job-client.js";

const TYPES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Types"];
const ROLES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Roles"];

/** What to stage for workers in their own processes. */
export interface StagingOptions {
  /** The user's pipeline module (the program's entry, process.argv[1], unless overridden). */
  readonly entry: string;
  /** The submitted graph, whose structural fingerprint the workers must reproduce. */
  readonly graph: PipelineGraph;
  /** npm packages left out of the bundle (native addons): workers load them from their node_modules. */
  readonly externals?: readonly string[];
}

/** The staged artifacts of one job, and the temporary directory that holds them. */
export interface StagedPipeline {
  /** The environment's dependencies (Runner API ArtifactInformation). */
  readonly dependencies: ArtifactInformation[];
  /** The bytes of each dependency by `artifactKey`, for `stageArtifacts`. */
  readonly contents: ReadonlyMap<string, Uint8Array>;
  /** Removes the temporary directory. */
  dispose(): Promise<void>;
}

/**
 * Stages the pipeline module for workers in their own processes (ARCHITECTURE.md,
 * principle 4: code ships as a module). The module is bundled with esbuild into one ESM
 * file (platform node, names kept, Node builtins external, npm packages bundled) whose
 * entry imports beam-ts's worker entry first and then the module: ESM evaluates imports in
 * order, so the worker entry captures the module's `Pipeline.run()`. An inline source map
 * (without sources) lets the worker see the submitter's file:line positions, which default
 * transform names use. Next to it goes fingerprint.json, the graph's structural
 * fingerprint the worker checks. Both are files in a fresh temporary directory, staged as
 * `beam:artifact:type:file:v1` with role `beam:artifact:role:staging_to:v1`.
 */
export async function stagePipeline(options: StagingOptions): Promise<StagedPipeline> {
  const entry = path.resolve(options.entry);
  if (!existsSync(entry)) {
    throw new JobFailedError(
      `Cannot stage the pipeline module ${entry}: no such file. Workers in their own processes import the ` +
        `pipeline's module again; run the pipeline as a program (node, tsx or beam-ts run) or name the module with --pipelineModule.`,
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-staging-"));
  try {
    const bundleFile = path.join(dir, STAGED_BUNDLE);
    const main = [
      `import { pipelineModuleEvaluated } from ${JSON.stringify(installedModule("../../harness/worker-entry", import.meta.url))};`,
      `import ${JSON.stringify(entry)};`,
      `pipelineModuleEvaluated();`,
    ].join("\n");
    await bundlePipeline({ module: entry, main, output: { outfile: bundleFile }, packages: "bundle", externals: options.externals ?? [] });
    const fingerprintFile = path.join(dir, STAGED_FINGERPRINT);
    await writeFile(fingerprintFile, fingerprintFileFor(options.graph));
    const dependencies: ArtifactInformation[] = [];
    const contents = new Map<string, Uint8Array>();
    for (const [name, file] of [
      [STAGED_BUNDLE, bundleFile],
      [STAGED_FINGERPRINT, fingerprintFile],
    ] as const) {
      const bytes = await readFile(file);
      const artifact = fileArtifact(file, name, bytes);
      dependencies.push(artifact);
      contents.set(artifactKey(artifact), bytes);
    }
    return { dependencies, contents, dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function fileArtifact(file: string, stagedName: string, bytes: Uint8Array): ArtifactInformation {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return {
    typeUrn: TYPES.FILE,
    typePayload: Buffer.from(ArtifactFilePayload.encode({ path: file, sha256 }).finish()),
    roleUrn: ROLES.STAGING_TO,
    rolePayload: Buffer.from(ArtifactStagingToRolePayload.encode({ stagedName }).finish()),
  };
}

