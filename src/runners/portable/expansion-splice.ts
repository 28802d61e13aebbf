import type { Coder } from "../../model/index.js";
import { ConstructionError, JobFailedError } from "../../model/index.js";
import type { ExternalTransformSpec } from "../../pipeline/index.js";
import { EXTERNAL_OUTPUT_CODER_URN } from "../../transforms/index.js";
import type { ExpansionRequest, ExpansionResponse } from "../../proto/org/apache/beam/model/job_management/v1/beam_expansion_api.js";
import type {
  Components,
  Coder as ProtoCoder,
  PTransform as ProtoPTransform,
  Pipeline as ProtoPipeline,
} from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";

const IMPULSE = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Primitives"].IMPULSE;

/** One external transform of the graph, where the Runner API pipeline has its placeholder. */
export interface ExternalSite {
  /** The placeholder's id in the pipeline's components (the graph's transform id). */
  readonly transformId: string;
  readonly label: string;
  readonly spec: ExternalTransformSpec;
  /** The placeholder's output PCollection ids by tag ("main" for a single output). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Whether a beam-ts transform reads each output (an unread output may disappear). */
  readonly consumed: Readonly<Record<string, boolean>>;
  /** Coders the user declared, by tag; checked against the expansion's. */
  readonly declaredCoders: Readonly<Record<string, Coder<unknown>>>;
}

/** The prefix of the fake producers of a request's inputs (Python's `impulse_<tag>`). */
const INPUT_PRODUCER = "impulse_";

/**
 * The ExpansionRequest for one placeholder, as Python's ExternalTransform builds it: the
 * transform (unique name, spec, inputs; no outputs), and components holding only its input
 * PCollections with their coders, windowing strategies and environments, each input given
 * a fake Impulse producer (`impulse_<tag>`) since SDKs rebuild PCollections with producers.
 * The service names everything it adds with `namespace` as a prefix.
 */
export function expansionRequest(pipeline: ProtoPipeline, site: ExternalSite, payload: Uint8Array, namespace: string): ExpansionRequest {
  const all = pipeline.components!;
  const placeholder = all.transforms[site.transformId]!;
  const components: Components = { transforms: {}, pcollections: {}, windowingStrategies: {}, coders: {}, environments: {} };
  const addCoder = (id: string): void => {
    if (components.coders[id] !== undefined) return;
    const coder = all.coders[id];
    if (coder === undefined) throw new Error(`Internal: the pipeline has no coder ${id}.`);
    if (coder.spec!.urn.startsWith("beam-ts:")) {
      throw new ConstructionError(
        `The input of the cross-language transform "${site.label}" (${site.spec.urn}) is coded with beam-ts's own coder ` +
          `(${coder.spec!.urn}), which other SDKs cannot decode. Give that PCollection a Beam standard coder with ` +
          `.withCoder(...) (stringUtf8Coder, varIntCoder, kvCoder(...), rowCoder(schema), ...).`,
      );
    }
    components.coders[id] = coder;
    coder.componentCoderIds.forEach(addCoder);
  };
  for (const [tag, pcId] of Object.entries(placeholder.inputs)) {
    const pc = all.pcollections[pcId]!;
    components.pcollections[pcId] = pc;
    addCoder(pc.coderId);
    const ws = all.windowingStrategies[pc.windowingStrategyId]!;
    components.windowingStrategies[pc.windowingStrategyId] = ws;
    addCoder(ws.windowCoderId);
    const env = all.environments[ws.environmentId];
    if (env !== undefined) components.environments[ws.environmentId] = env;
    components.transforms[`${INPUT_PRODUCER}${tag}`] = {
      uniqueName: `${INPUT_PRODUCER}${tag}`,
      spec: { urn: IMPULSE, payload: Buffer.alloc(0) },
      subtransforms: [],
      inputs: {},
      outputs: { out: pcId },
      environmentId: "",
      displayData: [],
      annotations: {},
    };
  }
  return {
    components,
    transform: {
      uniqueName: site.label,
      spec: { urn: site.spec.urn, payload: Buffer.from(payload) },
      subtransforms: [],
      inputs: { ...placeholder.inputs },
      outputs: {},
      environmentId: "",
      displayData: [],
      annotations: {},
    },
    namespace,
    outputCoderRequests: {},
    requirements: [],
    pipelineOptions: undefined,
  };
}

/**
 * Splices an expansion into the pipeline in place of its placeholder, as Python's
 * ExternalTransform.to_runner_api_transform merges one: the components the service added
 * (its transforms, PCollections, coders, windowing strategies, environments; ids carry the
 * request's namespace, so they cannot clash with beam-ts's) join the pipeline, the
 * placeholder becomes the expanded composite under its own id and label, and each of its
 * output PCollections takes over the expansion's corresponding PCollection (same id, so
 * beam-ts consumers stay wired; the expansion's coder, windowing and boundedness).
 */
export function spliceExpansion(pipeline: ProtoPipeline, site: ExternalSite, request: ExpansionRequest, response: ExpansionResponse): void {
  if (response.error !== "") {
    throw new JobFailedError(
      `The expansion service at ${site.spec.expansionService} could not expand "${site.label}" (${site.spec.urn}): ${shorten(response.error)}`,
    );
  }
  const expanded = response.transform;
  const added = response.components;
  if (expanded === undefined || added === undefined) {
    throw new JobFailedError(`The expansion service at ${site.spec.expansionService} returned no transform for "${site.label}" (${site.spec.urn}).`);
  }
  const own = pipeline.components!;
  const renames = outputRenames(site, expanded);

  for (const [id, coder] of Object.entries(added.coders)) own.coders[id] ??= coder;
  for (const [id, ws] of Object.entries(added.windowingStrategies)) own.windowingStrategies[id] ??= ws;
  for (const [id, env] of Object.entries(added.environments)) own.environments[id] ??= env;
  for (const [id, pc] of Object.entries(added.pcollections)) {
    const ours = renames.get(id);
    if (ours !== undefined) own.pcollections[ours] = pc;
    else if (request.components!.pcollections[id] === undefined) own.pcollections[id] ??= pc;
  }
  const rename = (ids: Record<string, string>) => Object.fromEntries(Object.entries(ids).map(([tag, id]) => [tag, renames.get(id) ?? id]));
  for (const [id, t] of Object.entries(added.transforms)) {
    if (request.components!.transforms[id] !== undefined) continue;
    if (own.transforms[id] !== undefined) {
      throw new JobFailedError(`The expansion of "${site.label}" reuses the transform id ${id} of this pipeline; its service ignored the namespace ${request.namespace}.`);
    }
    own.transforms[id] = { ...t, inputs: rename(t.inputs), outputs: rename(t.outputs) };
  }
  const placeholder = own.transforms[site.transformId]!;
  own.transforms[site.transformId] = {
    ...placeholder,
    spec: expanded.spec?.urn ? expanded.spec : undefined,
    subtransforms: [...expanded.subtransforms],
    outputs: rename(expanded.outputs),
    environmentId: expanded.environmentId,
    annotations: { ...expanded.annotations },
    displayData: [...expanded.displayData],
  };
  // A sink (PDone) has no outputs: its unread placeholder output goes.
  for (const pcId of Object.values(site.outputs)) {
    if (!Object.values(own.transforms[site.transformId]!.outputs).includes(pcId)) delete own.pcollections[pcId];
  }
  pipeline.requirements = [...new Set([...pipeline.requirements, ...response.requirements])].sort();
  pruneUnusedPlaceholderCoders(own);
  checkDeclaredCoders(site, own);
}

/** Which expansion PCollection each placeholder output becomes. */
function outputRenames(site: ExternalSite, expanded: ProtoPTransform): Map<string, string> {
  const renames = new Map<string, string>();
  const produced = Object.entries(expanded.outputs);
  const where = `The expansion of "${site.label}" (${site.spec.urn}) by ${site.spec.expansionService}`;
  if (site.spec.outputTags.length === 0) {
    const [tag, ours] = Object.entries(site.outputs)[0]!;
    if (produced.length === 1) renames.set(produced[0]![1], ours);
    else if (produced.length === 0 && site.consumed[tag] === true) {
      throw new JobFailedError(`${where} has no output (a sink), but the pipeline reads its output.`);
    } else if (produced.length > 1) {
      throw new JobFailedError(
        `${where} has ${produced.length} outputs (${produced.map(([t]) => t).join(", ")}): use externalWithOutputs({ ..., outputs: { <tag>: coder | undefined } }) to read them by tag.`,
      );
    }
    return renames;
  }
  for (const tag of site.spec.outputTags) {
    const theirs = expanded.outputs[tag];
    if (theirs === undefined) throw new JobFailedError(`${where} has no output "${tag}"; its outputs are: ${produced.map(([t]) => t).join(", ") || "none"}.`);
    renames.set(theirs, site.outputs[tag]!);
  }
  return renames;
}

/** Placeholder coders (external outputs before expansion) that nothing references any more. */
function pruneUnusedPlaceholderCoders(own: Components): void {
  const used = new Set<string>();
  for (const pc of Object.values(own.pcollections)) used.add(pc.coderId);
  for (const c of Object.values(own.coders)) c.componentCoderIds.forEach((id) => used.add(id));
  for (const [id, c] of Object.entries(own.coders)) if (c.spec?.urn === EXTERNAL_OUTPUT_CODER_URN && !used.has(id)) delete own.coders[id];
}

/** A coder a user declared for an output must be the one the expansion declares. */
function checkDeclaredCoders(site: ExternalSite, own: Components): void {
  for (const [tag, declared] of Object.entries(site.declaredCoders)) {
    const pcId = site.outputs[tag === "" ? Object.keys(site.outputs)[0]! : tag];
    const pc = pcId === undefined ? undefined : own.pcollections[pcId];
    if (pc === undefined) continue;
    const theirs = describeProtoCoder(own.coders, pc.coderId);
    const ours = describeCoder(declared);
    if (theirs !== ours) {
      throw new ConstructionError(
        `The cross-language transform "${site.label}" (${site.spec.urn}) declares output coder ${theirs}, but outputCoder ` +
          `is ${ours}: pass a coder for ${theirs} (or leave outputCoder out).`,
      );
    }
  }
}

function describeCoder(c: Coder<unknown>): string {
  return c.components.length === 0 ? c.urn : `${c.urn}(${c.components.map(describeCoder).join(", ")})`;
}

function describeProtoCoder(coders: Record<string, ProtoCoder>, id: string): string {
  const c = coders[id];
  if (c === undefined) return `<missing coder ${id}>`;
  const urn = c.spec?.urn ?? "";
  return c.componentCoderIds.length === 0 ? urn : `${urn}(${c.componentCoderIds.map((x) => describeProtoCoder(coders, x)).join(", ")})`;
}

/** The first lines of a (Java) stack trace: enough to say what went wrong. */
function shorten(error: string): string {
  const lines = error.trim().split("\n");
  const causes = lines.filter((l) => /^Caused by: /.test(l));
  const head = lines.slice(0, 12).join("\n");
  return causes.length > 0 ? `${head}\n...\n${causes.slice(-3).join("\n")}` : lines.length > 12 ? `${head}\n...` : head;
}
