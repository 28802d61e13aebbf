import { createHash } from "node:crypto";
import {
  ArtifactFilePayload,
  ArtifactStagingToRolePayload,
  ArtifactUrlPayload,
  Pipeline as ProtoPipeline,
  type ArtifactInformation,
} from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { JobFailedError } from "../../model/index.js";
import { artifactKey } from "../portable/job-client.js";

const TYPES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Types"];
const ROLES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Roles"];

/** The staged pipeline proto's file name (Beam's STAGED_PIPELINE_FILENAME). */
export const STAGED_PIPELINE = "pipeline.pb";

/**
 * Writes one staged file: `path` is a gs:// path, `options` the pipeline's (the file system's
 * configuration: --gcsEndpoint, --gcpProject). The runner gets it from the package entry,
 * which writes through the gs:// file system (src/io, which runners may not import).
 */
export type WriteStagedFile = (path: string, bytes: Uint8Array, options: Readonly<Record<string, unknown>>) => Promise<void>;

/** What staging a job uploads, and the pipeline proto that refers to it. */
export interface StagingPlan {
  /** The pipeline with every FILE dependency rewritten to the URL of its staged copy. */
  readonly pipeline: ProtoPipeline;
  /** gs:// path of the staged pipeline proto. */
  readonly pipelineUrl: string;
  /** sha256 (hex) of the staged pipeline proto. */
  readonly pipelineProtoHash: string;
  /** The staged files: the name workers know them by, and where they go. */
  readonly packages: readonly { readonly name: string; readonly path: string }[];
  /** Every upload, the pipeline proto last. */
  readonly uploads: readonly { readonly path: string; readonly bytes: Uint8Array }[];
}

/**
 * Plans a job's staging as Beam Python's DataflowRunner does (apiclient.py's _stage_resources):
 * each FILE artifact of each environment goes to `<stagingLocation>/<staged name>` and is
 * rewritten to a `beam:artifact:type:url:v1` artifact of that gs:// URL, keeping its role
 * (so workers still find it under its staged name); then the rewritten pipeline is
 * serialized as `<stagingLocation>/pipeline.pb`. `contents` holds the artifacts' bytes by
 * `artifactKey` (staging.ts). Nothing is written here.
 *
 * @example const plan = planStaging(proto, staged.contents, "gs://b/staging/job.1"); // plan.pipelineUrl === "gs://b/staging/job.1/pipeline.pb"
 */
export function planStaging(pipeline: ProtoPipeline, contents: ReadonlyMap<string, Uint8Array>, stagingLocation: string): StagingPlan {
  const copy = ProtoPipeline.fromPartial(pipeline);
  const uploads: { path: string; bytes: Uint8Array }[] = [];
  const packages: { name: string; path: string }[] = [];
  const byHash = new Map<string, string>();
  for (const [envId, env] of Object.entries(copy.components?.environments ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    env.dependencies = env.dependencies.map((dep) => {
      if (dep.typeUrn !== TYPES.FILE) {
        throw new JobFailedError(`Cannot stage an artifact of type ${dep.typeUrn} of environment ${envId} for Dataflow: only ${TYPES.FILE} artifacts are staged.`);
      }
      const bytes = contents.get(artifactKey(dep));
      const file = ArtifactFilePayload.decode(dep.typePayload);
      if (bytes === undefined) throw new JobFailedError(`The artifact ${file.path} of environment ${envId} has no staged bytes: this is a bug in beam-ts's staging.`);
      const sha256 = file.sha256 !== "" ? file.sha256 : createHash("sha256").update(bytes).digest("hex");
      const name = stagedNameOf(dep) ?? file.path.split(/[\\/]/).pop()!;
      // One upload per distinct file, as Beam Python deduplicates by sha256.
      if (!byHash.has(sha256)) {
        const path = joinGcs(stagingLocation, name);
        byHash.set(sha256, path);
        uploads.push({ path, bytes });
        packages.push({ name, path });
      }
      return urlArtifact(dep, byHash.get(sha256)!, sha256);
    });
  }
  const serialized = ProtoPipeline.encode(copy).finish();
  const pipelineUrl = joinGcs(stagingLocation, STAGED_PIPELINE);
  uploads.push({ path: pipelineUrl, bytes: serialized });
  return { pipeline: copy, pipelineUrl, pipelineProtoHash: createHash("sha256").update(serialized).digest("hex"), packages, uploads };
}

/**
 * Uploads a plan's files, the pipeline proto last (a job refers to it only once everything it
 * names is there). Errors name the path and keep the file system's hint (credentials, bucket).
 */
export async function stageFiles(plan: StagingPlan, write: WriteStagedFile, options: Readonly<Record<string, unknown>>): Promise<void> {
  for (const { path, bytes } of plan.uploads) {
    try {
      await write(path, bytes, options);
    } catch (err) {
      throw new JobFailedError(`Staging ${path} for Dataflow failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** `<folder>/<name>` for a gs:// folder given with or without a trailing slash. */
export function joinGcs(folder: string, name: string): string {
  return `${folder.replace(/\/+$/, "")}/${name}`;
}

function stagedNameOf(dep: ArtifactInformation): string | undefined {
  if (dep.roleUrn !== ROLES.STAGING_TO) return undefined;
  const name = ArtifactStagingToRolePayload.decode(dep.rolePayload).stagedName;
  return name === "" ? undefined : name;
}

function urlArtifact(dep: ArtifactInformation, url: string, sha256: string): ArtifactInformation {
  return {
    typeUrn: TYPES.URL,
    typePayload: Buffer.from(ArtifactUrlPayload.encode({ url, sha256 }).finish()),
    roleUrn: dep.roleUrn,
    rolePayload: dep.rolePayload,
  };
}
