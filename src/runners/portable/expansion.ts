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
import type { Pipeline as ProtoPipeline } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { configurationPayload } from "./external-config.js";
import { expansionRequest, spliceExpansion, type ExternalSite } from "./expansion-splice.js";
import { ExpansionArtifacts } from "./expansion-artifacts.js";

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
 * The expansions' environments have their artifacts resolved by the expansion services
 * (expansion-artifacts.ts) and added to the artifacts the job service may ask for.
 */
export async function expandExternalTransforms(
  graph: PipelineGraph,
  pipeline: ProtoPipeline,
  artifacts: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<ExpandedPipeline> {
  const sites = externalSites(graph);
  if (sites.length === 0) return { pipeline, artifacts };
  const clients = new Map<string, InstanceType<typeof ExpansionServiceClient>>();
  const staged = new ExpansionArtifacts();
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
      const before = new Set(Object.keys(pipeline.components!.environments));
      spliceExpansion(pipeline, site, request, await expand(client, request, site));
      const added = Object.entries(pipeline.components!.environments).filter(([id]) => !before.has(id));
      await staged.resolve(site.spec.expansionService, added.map(([, env]) => env));
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  return { pipeline, artifacts: staged.withBase(artifacts) };
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
