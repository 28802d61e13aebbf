import type { BoundedWindow, Coder, WindowFn, WindowingStrategy } from "../model/index.js";
import { UnsupportedFeatureError, WindowFnUrns, fixedWindows, globalWindows, sessions, slidingWindows } from "../model/index.js";
import { coderFromSpec, type CoderSpec } from "../coders/index.js";
import { PBegin, PCollection, PTransform, ptransform, type Pipeline, type PipelineGraph, type TransformNode } from "../pipeline/index.js";
import { pipelineToProto, triggerFromProto } from "../runners/index.js";
import type { ExpansionRequest, ExpansionResponse } from "../proto/org/apache/beam/model/job_management/v1/beam_expansion_api.js";
import {
  AccumulationMode_Enum,
  CombinePayload,
  IsBounded_Enum,
  OutputTime_Enum,
  ParDoPayload,
  TestStreamPayload,
  type Components,
  type WindowingStrategy as ProtoWindowingStrategy,
} from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { FixedWindowsPayload, SessionWindowsPayload, SlidingWindowsPayload } from "../proto/org/apache/beam/model/pipeline/v1/standard_window_fns.js";
import { BEAM_URNS } from "../proto/urns.js";
import { requestedTransform } from "./config.js";
import type { ServedOutput, ServedTransformRegistry } from "./registry.js";

const PRIMITIVES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Primitives"];

/** Where expansions go and how their workers are reached. */
export interface ExpansionTarget {
  /**
   * The pipeline every expansion of this service is applied to, each under its own label
   * (`expansion-<n>`): the service's worker pool serves its graph, and a runner's harness
   * finds each DoFn there by that label (carried in the ParDo payload).
   */
  readonly pipeline: Pipeline;
  /** host:port of the worker pool (`beam:env:external:v1`) that runs the expansions. */
  readonly workerEndpoint: string;
  readonly registry: ServedTransformRegistry;
  /** A number not used before in this service, for the expansion's label. */
  nextSerial(): number;
}

/**
 * Answers one ExpansionRequest, as Java's and Python's expansion services do: builds the
 * registered beam-ts transform on stand-ins for the request's input PCollections (their
 * coders and windowing come from the request), translates just that expansion to the
 * Runner API (with the service's worker pool as its environment), and returns it with every
 * new component id prefixed by the request's namespace (Python keeps only those), inputs
 * under the caller's ids, and unique names under the caller's transform name. Failures
 * become the response's `error`, as in Java.
 */
export function expandRequest(request: ExpansionRequest, target: ExpansionTarget): ExpansionResponse {
  try {
    return expandOrThrow(request, target);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { error: `beam-ts could not expand "${request.transform?.uniqueName ?? ""}" (${request.transform?.spec?.urn ?? ""}): ${message}`, requirements: [] };
  }
}

function expandOrThrow(request: ExpansionRequest, target: ExpansionTarget): ExpansionResponse {
  const transform = request.transform;
  const given = request.components;
  if (transform === undefined || given === undefined) throw new Error("the request has no transform or no components.");
  const { urn, config } = requestedTransform(transform.spec?.urn ?? "", transform.spec?.payload ?? new Uint8Array(0));
  const served = target.registry.get(urn);
  if (served === undefined) {
    throw new UnsupportedFeatureError(urn, `no beam-ts transform is registered for ${urn}. Registered: ${target.registry.urns().join(", ") || "none"}.`);
  }
  const p = target.pipeline;
  const label = `expansion-${target.nextSerial()}`;

  // Stand-ins for the caller's inputs: never run (left out of the response), they give the
  // served transform PCollections with the caller's coders and windowing.
  const standIns = new Map<string, string>(); // our PCollection id -> the caller's
  const inputs: Record<string, PCollection<unknown>> = {};
  for (const [tag, callerId] of Object.entries(transform.inputs)) {
    const pc = given.pcollections[callerId];
    if (pc === undefined) throw new Error(`input "${tag}" names PCollection ${callerId}, which the request's components lack.`);
    const coder = coderOf(given, pc.coderId, `input "${tag}"`);
    const windowing = windowingOf(given.windowingStrategies[pc.windowingStrategyId], `input "${tag}"`);
    const standIn = p.apply(`${label}-input-${tag}`, new StandIn(coder, windowing, pc.isBounded !== IsBounded_Enum.UNBOUNDED));
    inputs[tag] = standIn;
    standIns.set(standIn.id, callerId);
  }
  const tags = Object.keys(inputs);
  const input = tags.length === 0 ? new PBegin(p) : tags.length === 1 ? inputs[tags[0]!]! : inputs;
  const output: ServedOutput = p.apply(label, ptransform(label, () => served.expand(input, config)));
  const outputs = outputIds(output);

  const graph = p.graph();
  const composite = [...graph.transforms.values()].find((t) => t.fullLabel === label)!;
  const translated = pipelineToProto(viewOf(graph, composite, [...standIns.keys()]), { type: "external", endpoint: target.workerEndpoint });
  for (const [tag, pcId] of Object.entries(outputs)) checkStandardCoder(translated.components!, translated.components!.pcollections[pcId]!.coderId, `output "${tag}"`);
  const renamed = renameComponents(translated.components!, {
    namespace: request.namespace,
    standIns,
    transformIds: subtreeIds(graph, composite.id),
    // Names under the caller's transform: "External(urn)/Map" rather than "expansion-3/Map".
    relabel: (name) => (name.startsWith(label) ? `${transform.uniqueName}${name.slice(label.length)}` : name),
  });
  const expanded = renamed.transforms[`${request.namespace}${composite.id}`]!;
  delete renamed.transforms[`${request.namespace}${composite.id}`];
  return {
    components: merge(given, renamed),
    transform: {
      ...expanded,
      inputs: { ...transform.inputs },
      outputs: Object.fromEntries(Object.entries(outputs).map(([tag, id]) => [tag, `${request.namespace}${id}`])),
    },
    requirements: translated.requirements,
    error: "",
  };
}

/** A PCollection with the caller's coder and windowing, produced by nothing that runs. */
class StandIn extends PTransform<PBegin, PCollection<unknown>> {
  constructor(
    private readonly coder: Coder<unknown>,
    private readonly windowing: WindowingStrategy,
    private readonly bounded: boolean,
  ) {
    super("StandIn");
  }
  expand(input: PBegin): PCollection<unknown> {
    // Recorded as an Impulse so the graph stays well-formed; the response leaves it out.
    const [out] = input.pipeline.addPrimitive({ kind: "impulse" }, [], [{ tag: "main", coder: this.coder, windowing: this.windowing, isBounded: this.bounded }]);
    return out!;
  }
}

/** A served transform's outputs by tag: "output" for a single PCollection (Java's name). */
function outputIds(output: ServedOutput): Record<string, string> {
  if (output === undefined) return {};
  if (output instanceof PCollection) return { output: output.id };
  return Object.fromEntries(Object.entries(output).map(([tag, pc]) => [tag, pc.id]));
}

/** The graph of one expansion: its stand-ins and its composite under a root of their own. */
function viewOf(graph: PipelineGraph, composite: Readonly<TransformNode>, standInPcs: readonly string[]): PipelineGraph {
  const standIns = standInPcs.map((pc) => graph.pcollections.get(pc)!.producer);
  const ids = [...standIns, ...subtreeIds(graph, composite.id)];
  const root = graph.transforms.get(graph.rootId)!;
  const transforms = new Map<string, Readonly<TransformNode>>([[root.id, { ...root, children: [...standIns, composite.id] }]]);
  for (const id of ids) transforms.set(id, graph.transforms.get(id)!);
  const pcollections = new Map([...graph.pcollections].filter(([, pc]) => transforms.has(pc.producer)));
  return { transforms, pcollections, rootId: root.id };
}

function subtreeIds(graph: PipelineGraph, id: string): string[] {
  const t = graph.transforms.get(id)!;
  return [id, ...t.children.flatMap((c) => subtreeIds(graph, c))];
}

interface Renaming {
  readonly namespace: string;
  /** Stand-in PCollections: replaced by the caller's. */
  readonly standIns: ReadonlyMap<string, string>;
  /** The expansion's transforms (stand-ins are left out). */
  readonly transformIds: readonly string[];
  readonly relabel: (uniqueName: string) => string;
}

/** The expansion's components with the namespace on every id (and inside ParDo / TestStream payloads). */
function renameComponents(c: Components, r: Renaming): Components {
  const ns = (id: string) => (id === "" ? "" : `${r.namespace}${id}`);
  const pc = (id: string) => r.standIns.get(id) ?? ns(id);
  const out: Components = { transforms: {}, pcollections: {}, windowingStrategies: {}, coders: {}, environments: {} };
  for (const id of r.transformIds) {
    const t = c.transforms[id]!;
    out.transforms[ns(id)] = {
      ...t,
      uniqueName: r.relabel(t.uniqueName),
      subtransforms: t.subtransforms.map(ns),
      inputs: Object.fromEntries(Object.entries(t.inputs).map(([tag, id]) => [tag, pc(id)])),
      outputs: Object.fromEntries(Object.entries(t.outputs).map(([tag, id]) => [tag, pc(id)])),
      environmentId: ns(t.environmentId),
      spec: t.spec === undefined ? undefined : { urn: t.spec.urn, payload: renamePayload(t.spec.urn, t.spec.payload, ns) },
    };
  }
  for (const [id, p] of Object.entries(c.pcollections)) {
    if (r.standIns.has(id)) continue;
    out.pcollections[ns(id)] = { ...p, uniqueName: r.relabel(p.uniqueName), coderId: ns(p.coderId), windowingStrategyId: ns(p.windowingStrategyId) };
  }
  for (const [id, ws] of Object.entries(c.windowingStrategies)) {
    out.windowingStrategies[ns(id)] = { ...ws, windowCoderId: ns(ws.windowCoderId), environmentId: ns(ws.environmentId) };
  }
  for (const [id, coder] of Object.entries(c.coders)) out.coders[ns(id)] = { ...coder, componentCoderIds: coder.componentCoderIds.map(ns) };
  for (const [id, env] of Object.entries(c.environments)) out.environments[ns(id)] = env;
  return out;
}

/** Coder ids inside the payloads beam-ts's translation writes them into. */
function renamePayload(urn: string, payload: Buffer, ns: (id: string) => string): Buffer {
  if (urn === PRIMITIVES.PAR_DO) {
    const p = ParDoPayload.decode(payload);
    p.restrictionCoderId = ns(p.restrictionCoderId);
    for (const t of Object.values(p.timerFamilySpecs)) t.timerFamilyCoderId = ns(t.timerFamilyCoderId);
    for (const s of Object.values(p.stateSpecs)) {
      const spec = s.spec;
      switch (spec?.$case) {
        case "readModifyWriteSpec":
          spec.readModifyWriteSpec.coderId = ns(spec.readModifyWriteSpec.coderId);
          break;
        case "bagSpec":
          spec.bagSpec.elementCoderId = ns(spec.bagSpec.elementCoderId);
          break;
        case "combiningSpec":
          spec.combiningSpec.accumulatorCoderId = ns(spec.combiningSpec.accumulatorCoderId);
          break;
        case "mapSpec":
          spec.mapSpec.keyCoderId = ns(spec.mapSpec.keyCoderId);
          spec.mapSpec.valueCoderId = ns(spec.mapSpec.valueCoderId);
          break;
        case "setSpec":
          spec.setSpec.elementCoderId = ns(spec.setSpec.elementCoderId);
          break;
        case "orderedListSpec":
          spec.orderedListSpec.elementCoderId = ns(spec.orderedListSpec.elementCoderId);
          break;
        case "multimapSpec":
          spec.multimapSpec.keyCoderId = ns(spec.multimapSpec.keyCoderId);
          spec.multimapSpec.valueCoderId = ns(spec.multimapSpec.valueCoderId);
          break;
        default:
          break;
      }
    }
    return Buffer.from(ParDoPayload.encode(p).finish());
  }
  if (urn === BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Composites"].COMBINE_PER_KEY) {
    // The CombineFn keeps its label (the service's graph resolves it); the accumulator coder is renamed.
    const p = CombinePayload.decode(payload);
    p.accumulatorCoderId = ns(p.accumulatorCoderId);
    return Buffer.from(CombinePayload.encode(p).finish());
  }
  if (urn === PRIMITIVES.TEST_STREAM) {
    const p = TestStreamPayload.decode(payload);
    p.coderId = ns(p.coderId);
    return Buffer.from(TestStreamPayload.encode(p).finish());
  }
  return payload;
}

/** The request's components plus the expansion's (Java's services answer with both). */
function merge(given: Components, added: Components): Components {
  return {
    transforms: { ...given.transforms, ...added.transforms },
    pcollections: { ...given.pcollections, ...added.pcollections },
    windowingStrategies: { ...given.windowingStrategies, ...added.windowingStrategies },
    coders: { ...given.coders, ...added.coders },
    environments: { ...given.environments, ...added.environments },
  };
}

function coderSpecOf(c: Components, id: string, where: string): CoderSpec {
  const coder = c.coders[id];
  if (coder === undefined) throw new Error(`${where}: the request's components lack coder ${id}.`);
  return { urn: coder.spec?.urn ?? "", payload: coder.spec?.payload, components: coder.componentCoderIds.map((x) => coderSpecOf(c, x, where)) };
}

function coderOf(c: Components, id: string, where: string): Coder<unknown> {
  try {
    return coderFromSpec(coderSpecOf(c, id, where));
  } catch (err) {
    throw new Error(
      `${where} has a coder beam-ts cannot decode (${describe(c, id)}): give that PCollection a Beam standard coder in the ` +
        `calling pipeline (e.g. Python: .with_output_types(str); Java: setCoder(StringUtf8Coder.of())). ${(err as Error).message}`,
    );
  }
}

/** Outputs go back to another SDK: their coders must be Beam's standard ones. */
function checkStandardCoder(c: Components, id: string, where: string): void {
  const walk = (x: string): boolean => {
    const coder = c.coders[x]!;
    return !(coder.spec?.urn ?? "").startsWith("beam-ts:") && coder.componentCoderIds.every(walk);
  };
  if (!walk(id)) {
    throw new Error(
      `${where} is coded with a beam-ts coder (${describe(c, id)}) that other SDKs cannot decode: the registered transform must give ` +
        `its outputs Beam standard coders, e.g. .withCoder(stringUtf8Coder), kvCoder(stringUtf8Coder, varIntCoder) or rowCoder(schema).`,
    );
  }
}

function describe(c: Components, id: string): string {
  const coder = c.coders[id];
  if (coder === undefined) return id;
  const urn = coder.spec?.urn ?? "";
  return coder.componentCoderIds.length === 0 ? urn : `${urn}(${coder.componentCoderIds.map((x) => describe(c, x)).join(", ")})`;
}

/** A caller's windowing strategy as a beam-ts one (standard WindowFns only). */
function windowingOf(ws: ProtoWindowingStrategy | undefined, where: string): WindowingStrategy {
  if (ws === undefined) throw new Error(`${where}: the request's components lack its windowing strategy.`);
  return {
    windowFn: windowFnOf(ws.windowFn?.urn ?? "", ws.windowFn?.payload ?? Buffer.alloc(0), where),
    trigger: triggerFromProto(ws.trigger),
    accumulationMode: ws.accumulationMode === AccumulationMode_Enum.ACCUMULATING ? "ACCUMULATING" : "DISCARDING",
    allowedLateness: Number(ws.allowedLateness),
    timestampCombiner:
      ws.outputTime === OutputTime_Enum.EARLIEST_IN_PANE ? "EARLIEST" : ws.outputTime === OutputTime_Enum.LATEST_IN_PANE ? "LATEST" : "END_OF_WINDOW",
  };
}

function windowFnOf(urn: string, payload: Uint8Array, where: string): WindowFn<BoundedWindow> {
  const ms = (d: { seconds: bigint; nanos: number } | undefined) => (d === undefined ? 0 : Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6));
  switch (urn) {
    case WindowFnUrns.global:
      return globalWindows() as WindowFn<BoundedWindow>;
    case WindowFnUrns.fixed: {
      const p = FixedWindowsPayload.decode(payload);
      return fixedWindows(ms(p.size), ms(p.offset)) as WindowFn<BoundedWindow>;
    }
    case WindowFnUrns.sliding: {
      const p = SlidingWindowsPayload.decode(payload);
      return slidingWindows(ms(p.size), ms(p.period), ms(p.offset)) as WindowFn<BoundedWindow>;
    }
    case WindowFnUrns.sessions:
      return sessions(ms(SessionWindowsPayload.decode(payload).gapSize)) as WindowFn<BoundedWindow>;
    default:
      throw new UnsupportedFeatureError(urn, `${where} is windowed by ${urn}; beam-ts serves transforms on standard WindowFns only (global, fixed, sliding, sessions).`);
  }
}
