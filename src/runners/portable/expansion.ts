import { existsSync, readFileSync } from "node:fs";
import { Metadata, credentials, status, type ServiceError } from "@grpc/grpc-js";
import type { Coder } from "../../model/index.js";
import { JobFailedError } from "../../model/index.js";
import type { PipelineGraph } from "../../pipeline/index.js";
import { EXTERNAL_OUTPUT_CODER_URN } from "../../transforms/index.js";
import {
  ExpansionServiceClient,
  type ExpansionRequest,
  type ExpansionResponse,
} from "../../proto/org/apache/beam/model/job_management/v1/beam_expansion_api.js";
import { ArtifactFilePayload, type Pipeline as ProtoPipeline } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { configurationPayload } from "./external-config.js";
import { expansionRequest, spliceExpansion, type ExternalSite } from "./expansion-splice.js";
import { artifactKey } from "./job-client.js";

const FILE_ARTIFACT = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Types"].FILE;

/** How long one Expand call may take (a JVM service's first expansion loads many classes). */
const EXPAND_DEADLINE_MS = 120_000;

/** A pipeline whose external transforms were expanded, with what its environments stage. */
export interface ExpandedPipeline {
  readonly pipeline: ProtoPipeline;
  /** The job's artifact contents by `artifactKey`: the given ones plus the expansions' files. */
  readonly artifacts: ReadonlyMap<string, Uint8Array>;
}

/**
 * Expands the pipeline's cross-language transforms (`external(...)`) through their
 * expansion services and splices each expansion into the Runner API pipeline, in the order
 * they were applied (so one may read another's output). Runs when the portable runner
 * submits a job: `Pipeline.apply` is synchronous and an expansion is a gRPC call.
 * Environments of the expansions may depend on local files (Java's expansion service lists
 * its classpath); those are added to the artifacts the job service may ask for.
 */
export async function expandExternalTransforms(
  graph: PipelineGraph,
  pipeline: ProtoPipeline,
  artifacts: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<ExpandedPipeline> {
  const sites = externalSites(graph);
  if (sites.length === 0) return { pipeline, artifacts };
  const clients = new Map<string, InstanceType<typeof ExpansionServiceClient>>();
  try {
    for (const [i, site] of sites.entries()) {
      const payload =
        site.spec.payload ?? (site.spec.config === undefined ? new Uint8Array(0) : configurationPayload(site.spec.config, site.spec.configSchema, site.label));
      const request = expansionRequest(pipeline, site, payload, `external_${i + 1}`);
      let client = clients.get(site.spec.expansionService);
      if (client === undefined) {
        client = new ExpansionServiceClient(site.spec.expansionService, credentials.createInsecure(), {
          "grpc.max_receive_message_length": -1,
          "grpc.max_send_message_length": -1,
        });
        clients.set(site.spec.expansionService, client);
      }
      spliceExpansion(pipeline, site, request, await expand(client, request, site));
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  return { pipeline, artifacts: withEnvironmentFiles(pipeline, artifacts) };
}

/** The graph's external transforms, in application order. */
export function externalSites(graph: PipelineGraph): ExternalSite[] {
  const sites: ExternalSite[] = [];
  for (const t of graph.transforms.values()) {
    const p = t.primitive;
    if (p?.kind !== "external") continue;
    const consumed: Record<string, boolean> = {};
    const declaredCoders: Record<string, Coder<unknown>> = {};
    for (const [tag, pcId] of Object.entries(t.outputs)) {
      const pc = graph.pcollections.get(pcId)!;
      consumed[tag] = pc.consumers.length > 0;
      if (pc.coder.urn !== EXTERNAL_OUTPUT_CODER_URN) declaredCoders[p.outputTags.length === 0 ? "" : tag] = pc.coder;
    }
    sites.push({ transformId: t.id, label: t.fullLabel, spec: p, outputs: { ...t.outputs }, consumed, declaredCoders });
  }
  return sites;
}

function expand(client: InstanceType<typeof ExpansionServiceClient>, request: ExpansionRequest, site: ExternalSite): Promise<ExpansionResponse> {
  return new Promise((resolve, reject) => {
    client.expand(request, new Metadata(), { deadline: Date.now() + EXPAND_DEADLINE_MS }, (err: ServiceError | null, res: ExpansionResponse) => {
      if (err === null) return resolve(res);
      const hint =
        err.code === status.UNAVAILABLE
          ? ` Is an expansion service running there? Start Java's with \`node tools/runners/job-services.mjs expansion-service\`, ` +
            `or beam-ts's with \`beam-ts expansion-service --port=<port>\`.`
          : "";
      reject(new JobFailedError(`Expanding "${site.label}" (${site.spec.urn}) at ${site.spec.expansionService} failed: ${err.message}.${hint}`, { cause: err }));
    });
  });
}

/**
 * The artifacts plus the local files the expansions' environments depend on (staged when
 * the job service asks for them; read lazily, as a JVM classpath is large).
 */
function withEnvironmentFiles(pipeline: ProtoPipeline, artifacts: ReadonlyMap<string, Uint8Array>): ReadonlyMap<string, Uint8Array> {
  const files = new Map<string, string>();
  for (const env of Object.values(pipeline.components!.environments)) {
    for (const dep of env.dependencies) {
      const key = artifactKey(dep);
      if (dep.typeUrn !== FILE_ARTIFACT || artifacts.has(key)) continue;
      const file = ArtifactFilePayload.decode(dep.typePayload).path;
      if (existsSync(file)) files.set(key, file);
    }
  }
  return files.size === 0 ? artifacts : new ArtifactContents(artifacts, files);
}

/** Artifact bytes by key; files are read when asked for. */
class ArtifactContents extends Map<string, Uint8Array> {
  constructor(
    base: ReadonlyMap<string, Uint8Array>,
    private readonly files: ReadonlyMap<string, string>,
  ) {
    super(base);
  }

  override get(key: string): Uint8Array | undefined {
    const file = this.files.get(key);
    return super.get(key) ?? (file === undefined ? undefined : readFileSync(file));
  }

  override has(key: string): boolean {
    return super.has(key) || this.files.has(key);
  }
}
