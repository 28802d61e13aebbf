import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";
import { JobFailedError } from "../../model/index.js";
import type { PipelineGraph } from "../../pipeline/index.js";
import { STAGED_BUNDLE, STAGED_FINGERPRINT, WorkerEnv, fingerprintFileFor } from "../../harness/index.js";
import { ArtifactFilePayload, ArtifactStagingToRolePayload, type ArtifactInformation } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
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
    await bundle(entry, bundleFile, options.externals ?? []);
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

/** beam-ts's worker entry, next to this installation's harness (TypeScript sources, or built JavaScript). */
function workerEntryPath(): string {
  for (const ext of [".ts", ".js"]) {
    const file = fileURLToPath(new URL(`../../harness/worker-entry${ext}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new JobFailedError(`beam-ts's worker entry (src/harness/worker-entry) is missing from this installation at ${import.meta.url}.`);
}

async function bundle(entry: string, outfile: string, externals: readonly string[]): Promise<void> {
  // Loaded on demand: esbuild is a build tool of the submitter, never part of a worker.
  const esbuild = await import("esbuild");
  const workerEntry = workerEntryPath();
  const main = [
    `import { pipelineModuleEvaluated } from ${JSON.stringify(workerEntry)};`,
    `import ${JSON.stringify(entry)};`,
    `pipelineModuleEvaluated();`,
  ].join("\n");
  try {
    await esbuild.build({
      stdin: { contents: main, resolveDir: path.dirname(entry), sourcefile: "beam-ts-worker-main.mjs", loader: "js" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      keepNames: true,
      outfile,
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      // CommonJS packages inside an ESM bundle call require() for Node builtins.
      banner: { js: `import { createRequire as __beamTsCreateRequire } from "node:module";\nconst require = __beamTsCreateRequire(import.meta.url);` },
      external: ["esbuild"],
      plugins: externals.length > 0 ? [externalPackages(externals, path.dirname(entry))] : [],
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const detail = errors.length > 0 ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`).join("\n  ") : String(err);
    throw new JobFailedError(
      `Cannot bundle the pipeline module ${entry} for the workers with esbuild:\n  ${detail}\n` +
        `Fix the module, or leave a package that cannot be bundled (a native addon) out with --stagingExternals=<package>.`,
      { cause: err },
    );
  }
}

/**
 * Packages left out of the bundle: each import becomes `require` through a require
 * function rooted at `$BEAM_TS_PACKAGES_FROM` on the worker (a directory whose node_modules
 * has them, e.g. the app directory of a container image), else at the submitter's module
 * directory (same host or same layout).
 */
function externalPackages(packages: readonly string[], fallbackDir: string): Plugin {
  const escaped = packages.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  const filter = new RegExp(`^(?:${escaped.join("|")})(?:/.*)?$`);
  return {
    name: "beam-ts-staging-externals",
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: "beam-ts-external" }));
      build.onLoad({ filter: /.*/, namespace: "beam-ts-external" }, (args) => ({
        loader: "js",
        contents: [
          `const from = process.env[${JSON.stringify(WorkerEnv.packagesFrom)}] || ${JSON.stringify(fallbackDir)};`,
          `module.exports = require("node:module").createRequire(from.endsWith("/") ? from : from + "/")(${JSON.stringify(args.path)});`,
        ].join("\n"),
      }));
    },
  };
}
