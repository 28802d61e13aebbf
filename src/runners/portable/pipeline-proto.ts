import type { BoundedWindow, Coder, TestStreamEvent, WindowFn, WindowingStrategy } from "../../model/index.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../model/index.js";
import {
  CoderUrns,
  asDeterministic,
  deterministicJsValueCoder,
  encodeToBytes,
  jsValueCoder,
  kvCoder,
  timerCoder,
  windowCoderOf,
} from "../../coders/index.js";

/** KVs of JS values, keys in the deterministic encoding. */
const JS_KV = kvCoder(deterministicJsValueCoder, jsValueCoder) as Coder<unknown>;
import { WindowFnUrns } from "../../model/index.js";
import type { PipelineGraph, TransformNode } from "../../pipeline/index.js";
import { graphFingerprint } from "../../pipeline/index.js";
import type { CombineFn, StateSpecMap, TimerSpecMap } from "../../transforms/index.js";
import {
  AccumulationMode_Enum,
  ClosingBehavior_Enum,
  IsBounded_Enum,
  MergeStatus_Enum,
  OnTimeBehavior_Enum,
  OutputTime_Enum,
  ParDoPayload,
  TestStreamPayload,
  TimeDomain_Enum,
  type TestStreamPayload_Event,
  WindowIntoPayload,
  type Coder as ProtoCoder,
  type Components,
  type Environment,
  type FunctionSpec,
  type PTransform as ProtoPTransform,
  type Pipeline as ProtoPipeline,
  type StateSpec as ProtoStateSpec,
  type WindowingStrategy as ProtoWindowingStrategy,
} from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import {
  FixedWindowsPayload,
  SessionWindowsPayload,
  SlidingWindowsPayload,
} from "../../proto/org/apache/beam/model/pipeline/v1/standard_window_fns.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { triggerToProto } from "./trigger-proto.js";
import { combinePerKeySpec } from "./combine-proto.js";
import { environmentProto, type EnvironmentOptions } from "./environment-proto.js";
import { portableTimestampCombiner, transformedOutputTimeRefusal } from "./runner-capabilities.js";

const PRIMITIVES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Primitives"];
const COMPOSITES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Composites"];
const REQUIREMENTS = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardRequirements.Enum"];
const SIDE_INPUTS = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardSideInputTypes.Enum"];

/** beam-ts's own URNs: things only a beam-ts SDK harness understands. */
export const BeamTsUrns = {
  /** A DoFn, found by the worker by its transform's unique name in the re-imported module. */
  doFn: "beam:dofn:beam_ts:v1",
  /** A side-input view function (asSingleton, asMap, ...), resolved the same way. */
  viewFn: "beam:view_fn:beam_ts:v1",
  /** A side input's window mapping: the side WindowFn's getSideInputWindow. */
  windowMappingFn: "beam:window_mapping_fn:beam_ts:v1",
  /** A user WindowFn, resolved by its transform's unique name. */
  windowFn: "beam:window_fn:beam_ts:v1",
  /** A CombineFn, resolved by its transform's unique name. */
  combineFn: "beam:combinefn:beam_ts:v1",
} as const;

export type { EnvironmentOptions } from "./environment-proto.js";

/** The timer family a runner fires for onWindowExpiration (ParDoPayload.on_window_expiration_timer_family_spec). */
export const ON_WINDOW_EXPIRATION_FAMILY = "beam-ts:on_window_expiration";

/** The environment id every beam-ts transform runs in. */
export const BEAM_TS_ENVIRONMENT = "beam-ts";

/**
 * Translates a construction graph into Beam's Runner API Pipeline proto: composites with
 * their subtransforms, primitives with standard URNs (impulse, pardo, group_by_key,
 * flatten, window_into, teststream, read), Combine.perKey and Reshuffle as annotated
 * composites, coders, windowing strategies (triggers, accumulation, lateness, timestamp
 * combiners), one beam-ts environment, and the requirements (stateful, splittable,
 * finalization) a runner must honour. User code is never serialized: DoFns, CombineFns, view
 * functions and custom WindowFns are named by their transform's unique name, and the worker finds
 * them by re-importing the pipeline module and checking the graph fingerprint (carried as
 * a display-data-free pipeline-level requirement-free field: see `fingerprintOf`).
 */
export function pipelineToProto(graph: PipelineGraph, env: EnvironmentOptions = { type: "external" }): ProtoPipeline {
  return new Translator(graph).translate(env);
}

class Translator {
  private readonly components: Components = { transforms: {}, pcollections: {}, windowingStrategies: {}, coders: {}, environments: {} };
  private readonly coderIds = new Map<Coder<unknown>, string>();
  private readonly windowingIds = new Map<string, string>();
  private readonly requirements = new Set<string>();
  /** Each PCollection's coder as declared (GroupByKey and stateful inputs: a deterministic KV coder). */
  private readonly declaredCoders = new Map<string, Coder<unknown>>();

  constructor(private readonly graph: PipelineGraph) {}

  translate(env: EnvironmentOptions): ProtoPipeline {
    // A runner groups by the key bytes of a KV coder: a GroupByKey input coded by the JS
    // value coder is declared (and so encoded by the harness) as KV of JS values.
    const grouped = new Set<string>();
    for (const t of this.graph.transforms.values()) if (t.primitive?.kind === "groupByKey") for (const pc of Object.values(t.inputs)) grouped.add(pc);
    // A stateful ParDo's main input is keyed by the runner too (state and timers per key).
    for (const t of this.graph.transforms.values()) if (t.primitive?.kind === "parDo" && t.primitive.stateful) grouped.add(mainInputOf(t));
    for (const pc of this.graph.pcollections.values()) {
      const coder = grouped.has(pc.id) ? groupingCoder(pc.coder) : pc.coder;
      this.declaredCoders.set(pc.id, coder);
      const producer = this.graph.transforms.get(pc.producer)?.fullLabel ?? pc.producer;
      this.components.pcollections[pc.id] = {
        uniqueName: `${producer}.${pc.tag}`,
        coderId: this.coder(coder),
        isBounded: pc.isBounded ? IsBounded_Enum.BOUNDED : IsBounded_Enum.UNBOUNDED,
        windowingStrategyId: this.windowing(pc.windowing, producer),
        displayData: [],
      };
    }
    for (const t of this.graph.transforms.values()) {
      if (t.id === this.graph.rootId) continue;
      this.components.transforms[t.id] = this.transform(t);
    }
    // Only a pipeline with transforms that need a beam-ts worker declares its environment
    // (a runner starts every environment it is given).
    const needsWorker = Object.values(this.components.transforms).some((t) => t.environmentId === BEAM_TS_ENVIRONMENT);
    if (needsWorker) this.components.environments[BEAM_TS_ENVIRONMENT] = environment(env);
    else for (const ws of Object.values(this.components.windowingStrategies)) ws.environmentId = "";
    return {
      components: this.components,
      rootTransformIds: [...this.graph.transforms.get(this.graph.rootId)!.children],
      displayData: [],
      requirements: [...this.requirements].sort(),
    };
  }

  private transform(t: Readonly<TransformNode>): ProtoPTransform {
    const base: ProtoPTransform = {
      uniqueName: t.fullLabel,
      subtransforms: [...t.children],
      inputs: { ...t.inputs },
      outputs: uniqueOutputs(t.outputs),
      environmentId: "",
      displayData: [],
      annotations: {},
    };
    const p = t.primitive;
    if (p === undefined) {
      // Annotated composites keep their subtransforms, so a runner that does not lift or
      // replace them runs the expansion; Prism lifts a combine_per_key into Beam's combine
      // phases, which the harness runs (harness/combine-operations.ts).
      if (t.annotation?.kind === "reshuffle") return { ...base, spec: { urn: COMPOSITES.RESHUFFLE, payload: Buffer.alloc(0) } };
      if (t.annotation?.kind === "combinePerKey") {
        const input = this.graph.pcollections.get(Object.values(t.inputs)[0]!)!;
        const fnSpec = { urn: BeamTsUrns.combineFn, payload: Buffer.from(t.fullLabel, "utf8") };
        const lifted = combinePerKeySpec(fnSpec, t.annotation.combineFn as CombineFn<unknown, unknown, unknown>, input.windowing, (c) => this.coder(c));
        if (lifted !== undefined) return { ...base, environmentId: BEAM_TS_ENVIRONMENT, spec: lifted };
      }
      return base;
    }
    switch (p.kind) {
      case "impulse":
        return { ...base, spec: spec(PRIMITIVES.IMPULSE) };
      case "flatten":
        return { ...base, spec: spec(PRIMITIVES.FLATTEN) };
      case "groupByKey":
        return { ...base, spec: spec(PRIMITIVES.GROUP_BY_KEY) };
      case "external":
        // A placeholder: the portable runner replaces it with the expansion service's
        // expansion (runners/portable/expansion.ts) before submitting.
        return { ...base, spec: spec(p.urn, p.payload) };
      case "assignWindows":
        return {
          ...base,
          environmentId: BEAM_TS_ENVIRONMENT,
          spec: spec(PRIMITIVES.ASSIGN_WINDOWS, WindowIntoPayload.encode({ windowFn: this.windowFnSpec(p.windowing.windowFn, t.fullLabel) }).finish()),
        };
      case "testStream": {
        // Elements are encoded with the coder the output is declared with (the runner keys by it).
        const coder = this.declaredCoders.get(Object.values(t.outputs)[0]!)!;
        return {
          ...base,
          spec: spec(
            PRIMITIVES.TEST_STREAM,
            TestStreamPayload.encode({ coderId: this.coder(coder), events: p.events.map((e) => testStreamEvent(e, coder)), endpoint: undefined }).finish(),
          ),
        };
      }
      case "read":
        return { ...base, environmentId: BEAM_TS_ENVIRONMENT, spec: spec(BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.DeprecatedPrimitives"].READ) };
      case "parDo": {
        // Side inputs are the inputs named by the ParDoPayload's side-input ids.
        const sideIds = new Set(p.sideInputs.map((s) => s.pcollection));
        const inputs: Record<string, string> = {};
        for (const [tag, pc] of Object.entries(t.inputs)) if (!sideIds.has(pc)) inputs[tag] = pc;
        for (const s of p.sideInputs) inputs[s.tag] = s.pcollection;
        return { ...base, inputs, environmentId: BEAM_TS_ENVIRONMENT, spec: spec(PRIMITIVES.PAR_DO, this.parDoPayload(t)) };
      }
    }
  }

  private parDoPayload(t: Readonly<TransformNode>): Uint8Array {
    const p = t.primitive as Extract<TransformNode["primitive"], { kind: "parDo" }>;
    const label = Buffer.from(t.fullLabel, "utf8");
    const sideInputs: ParDoPayload["sideInputs"] = {};
    for (const s of p.sideInputs) {
      // Every view is read as Beam's iterable side input; the harness materializes maps
      // and singletons from the elements itself.
      sideInputs[s.tag] = {
        accessPattern: { urn: SIDE_INPUTS.ITERABLE, payload: Buffer.alloc(0) },
        viewFn: { urn: BeamTsUrns.viewFn, payload: Buffer.from(`${t.fullLabel}\u0000${s.tag}`, "utf8") },
        windowMappingFn: { urn: BeamTsUrns.windowMappingFn, payload: Buffer.from(`${t.fullLabel}\u0000${s.tag}`, "utf8") },
      };
    }
    const fn = p.doFn as { state?: StateSpecMap; timers?: TimerSpecMap; onWindowExpiration?: unknown };
    const stateSpecs: ParDoPayload["stateSpecs"] = {};
    const timerFamilySpecs: ParDoPayload["timerFamilySpecs"] = {};
    if (p.stateful) {
      this.requirements.add(REQUIREMENTS.REQUIRES_STATEFUL_PROCESSING);
      for (const [name, s] of Object.entries(fn.state ?? {})) stateSpecs[name] = this.stateSpec(s.kind);
      // Timers are encoded with Beam's timer coder over the input's key and window coders.
      const input = this.graph.pcollections.get(mainInputOf(t))!;
      const keyCoder = this.declaredCoders.get(input.id)!.components[0]!;
      const windowCoder = windowCoderOf(input.windowing);
      const timerFamilyCoderId = Object.keys(fn.timers ?? {}).length > 0 ? this.coder(timerCoder(keyCoder, windowCoder as Coder<BoundedWindow>) as Coder<unknown>) : "";
      for (const [name, s] of Object.entries(fn.timers ?? {})) {
        timerFamilySpecs[name] = {
          timeDomain: s.domain === "EVENT_TIME" ? TimeDomain_Enum.EVENT_TIME : TimeDomain_Enum.PROCESSING_TIME,
          timerFamilyCoderId,
        };
      }
      if (fn.onWindowExpiration !== undefined) this.requirements.add(REQUIREMENTS.REQUIRES_ON_WINDOW_EXPIRATION);
    }
    if (p.splittable) {
      this.requirements.add(REQUIREMENTS.REQUIRES_SPLITTABLE_DOFN);
      this.requirements.add(REQUIREMENTS.REQUIRES_BUNDLE_FINALIZATION);
    }
    return ParDoPayload.encode({
      doFn: { urn: BeamTsUrns.doFn, payload: label },
      sideInputs,
      stateSpecs,
      timerFamilySpecs,
      restrictionCoderId: p.splittable ? this.coder(sdfRestrictionCoder()) : "",
      requestsFinalization: p.splittable,
      requiresTimeSortedInput: false,
      requiresStableInput: false,
      // The runner fires this (undeclared) timer family for each key of a window that expires.
      onWindowExpirationTimerFamilySpec: p.stateful && fn.onWindowExpiration !== undefined ? ON_WINDOW_EXPIRATION_FAMILY : "",
    }).finish();
  }

  private stateSpec(kind: string): ProtoStateSpec {
    const coderId = this.coder(jsCoder());
    const userState = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardUserStateTypes.Enum"];
    switch (kind) {
      case "value":
        return { spec: { $case: "readModifyWriteSpec", readModifyWriteSpec: { coderId } }, protocol: { urn: userState.BAG, payload: Buffer.alloc(0) } };
      case "combining":
        return {
          spec: { $case: "combiningSpec", combiningSpec: { accumulatorCoderId: coderId, combineFn: { urn: BeamTsUrns.combineFn, payload: Buffer.alloc(0) } } },
          protocol: { urn: userState.BAG, payload: Buffer.alloc(0) },
        };
      case "map":
        return { spec: { $case: "mapSpec", mapSpec: { keyCoderId: coderId, valueCoderId: coderId } }, protocol: { urn: userState.MULTIMAP, payload: Buffer.alloc(0) } };
      case "set":
        return { spec: { $case: "setSpec", setSpec: { elementCoderId: coderId } }, protocol: { urn: userState.MULTIMAP, payload: Buffer.alloc(0) } };
      case "orderedList":
        return { spec: { $case: "orderedListSpec", orderedListSpec: { elementCoderId: coderId } }, protocol: { urn: userState.ORDERED_LIST, payload: Buffer.alloc(0) } };
      default:
        return { spec: { $case: "bagSpec", bagSpec: { elementCoderId: coderId } }, protocol: { urn: userState.BAG, payload: Buffer.alloc(0) } };
    }
  }

  private windowFnSpec(fn: WindowFn<BoundedWindow>, label: string): FunctionSpec {
    const props = fn as unknown as { size?: number; period?: number; offset?: number; gap?: number };
    switch (fn.urn) {
      case WindowFnUrns.global:
        return { urn: fn.urn, payload: Buffer.alloc(0) };
      case WindowFnUrns.fixed:
        return { urn: fn.urn, payload: FixedWindowsPayload.encode({ size: duration(props.size!), offset: timestamp(props.offset ?? 0) }).finish() as Buffer };
      case WindowFnUrns.sliding:
        return {
          urn: fn.urn,
          payload: SlidingWindowsPayload.encode({ size: duration(props.size!), period: duration(props.period!), offset: timestamp(props.offset ?? 0) }).finish() as Buffer,
        };
      case WindowFnUrns.sessions:
        return { urn: fn.urn, payload: SessionWindowsPayload.encode({ gapSize: duration(props.gap!) }).finish() as Buffer };
      default:
        // A user WindowFn runs in the beam-ts worker, found by its transform's name.
        return { urn: BeamTsUrns.windowFn, payload: Buffer.from(label, "utf8") };
    }
  }

  /** The id of `ws` in the components; `producer` names a transform whose output it windows. */
  private windowing(ws: WindowingStrategy, producer: string): string {
    const windowCoder = windowCoderOf(ws);
    const proto: ProtoWindowingStrategy = {
      windowFn: this.windowFnSpec(ws.windowFn, ws.windowFn.toString()),
      mergeStatus: ws.windowFn.isMerging ? MergeStatus_Enum.NEEDS_MERGE : MergeStatus_Enum.NON_MERGING,
      windowCoderId: this.coder(windowCoder as Coder<unknown>),
      trigger: triggerToProto(ws.trigger),
      accumulationMode: ws.accumulationMode === "ACCUMULATING" ? AccumulationMode_Enum.ACCUMULATING : AccumulationMode_Enum.DISCARDING,
      outputTime: outputTimeOf(ws, producer),
      closingBehavior: ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
      allowedLateness: BigInt(ws.allowedLateness),
      onTimeBehavior: OnTimeBehavior_Enum.FIRE_ALWAYS,
      assignsToOneWindow: ws.windowFn.urn === WindowFnUrns.global || ws.windowFn.urn === WindowFnUrns.fixed,
      environmentId: BEAM_TS_ENVIRONMENT,
    };
    const key = JSON.stringify(proto, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v));
    let id = this.windowingIds.get(key);
    if (id === undefined) {
      id = `ws${this.windowingIds.size + 1}`;
      this.windowingIds.set(key, id);
      this.components.windowingStrategies[id] = proto;
    }
    return id;
  }

  private coder(c: Coder<unknown>): string {
    let id = this.coderIds.get(c);
    if (id !== undefined) return id;
    const components = c.components.map((k) => this.coder(k));
    const payload = (c as { payload?: Uint8Array }).payload;
    const proto: ProtoCoder = { spec: { urn: c.urn, payload: Buffer.from(payload ?? new Uint8Array(0)) }, componentCoderIds: components };
    id = `c${this.coderIds.size + 1}`;
    this.coderIds.set(c, id);
    this.components.coders[id] = proto;
    return id;
  }
}

/** The main (non-side) input of a ParDo. */
function mainInputOf(t: Readonly<TransformNode>): string {
  const p = t.primitive as Extract<TransformNode["primitive"], { kind: "parDo" }>;
  const sides = new Set(p.sideInputs.map((s) => s.pcollection));
  return Object.values(t.inputs).find((pc) => !sides.has(pc))!;
}

/**
 * The Runner API OutputTime of a windowing. EARLIEST_TRANSFORMED goes as EARLIEST_IN_PANE
 * when the WindowFn transforms nothing, and is refused otherwise (portableTimestampCombiner);
 * runners meet that refusal earlier, with the transform named, in checkRunnerSupport.
 */
function outputTimeOf(ws: WindowingStrategy, producer: string): OutputTime_Enum {
  switch (portableTimestampCombiner(ws)) {
    case "EARLIEST":
      return OutputTime_Enum.EARLIEST_IN_PANE;
    case "LATEST":
      return OutputTime_Enum.LATEST_IN_PANE;
    case "END_OF_WINDOW":
      return OutputTime_Enum.END_OF_WINDOW;
    case undefined:
      throw transformedOutputTimeRefusal(ws, producer);
  }
}

function spec(urn: string, payload: Uint8Array = new Uint8Array(0)): FunctionSpec {
  return { urn, payload: Buffer.from(payload) };
}

function duration(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function timestamp(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

/**
 * The coders the harness decodes, as capabilities. Not state_backed_iterable: the harness
 * decodes elements synchronously and cannot fetch the part of an iterable a runner leaves
 * on the state channel, so runners must keep sending iterables whole.
 */
const CODER_CAPABILITIES = Object.values(CoderUrns).filter((urn) => urn !== CoderUrns.stateBackedIterable);

function environment(env: EnvironmentOptions): Environment {
  return environmentProto(env, [...CODER_CAPABILITIES, BeamTsUrns.doFn]);
}

let js: Coder<unknown> | undefined;
/** The coder of opaque JS values (state cells, restrictions) in the worker. */
function jsCoder(): Coder<unknown> {
  return (js ??= { urn: CoderUrns.jsValue, components: [], deterministic: false } as unknown as Coder<unknown>);
}

let sdfRestriction: Coder<unknown> | undefined;
/**
 * A splittable ParDo's restriction coder as Beam SDKs declare it: KV(restriction, watermark
 * estimator state), so runners send KV(element, KV(restriction, state)) to the harness.
 * Restrictions use the harness's restriction coder (OffsetRange or JS values).
 */
function sdfRestrictionCoder(): Coder<unknown> {
  const restriction = { urn: CoderUrns.sdfRestriction, components: [], deterministic: false } as unknown as Coder<unknown>;
  return (sdfRestriction ??= kvCoder(restriction, jsCoder()) as Coder<unknown>);
}

/** The graph fingerprint the worker must reproduce (sent as a pipeline option). */
export function fingerprintOf(graph: PipelineGraph): string {
  return graphFingerprint(graph).hash;
}

/**
 * A transform's outputs with one tag per PCollection (a Partition's first output is also
 * its main output); "main" wins, as the harness looks outputs up by it.
 */
function uniqueOutputs(outputs: Readonly<Record<string, string>>): Record<string, string> {
  const byPc = new Map<string, string>();
  for (const [tag, pc] of Object.entries(outputs)) if (!byPc.has(pc) || tag === "main") byPc.set(pc, tag);
  const out: Record<string, string> = {};
  for (const [pc, tag] of byPc) out[tag] = pc;
  return out;
}

/**
 * The coder a GroupByKey input is declared with: a KV coder whose key encodes
 * deterministically, since the runner groups by the key's bytes (our embedded runner
 * compares keys the same way, through the deterministic key coder).
 */
function groupingCoder(coder: Coder<unknown>): Coder<unknown> {
  if (coder.urn !== CoderUrns.kv) return JS_KV;
  const [k, v] = coder.components as [Coder<unknown>, Coder<unknown>];
  return k.deterministic ? coder : (kvCoder(asDeterministic(k), v) as Coder<unknown>);
}

/**
 * A TestStream event as Beam's TestStreamPayload.Event: elements encoded with the output
 * coder (outer context, as Beam's TestStreamTranslation), times in milliseconds; the
 * +infinity watermark is Beam's maximum timestamp in milliseconds.
 */
function testStreamEvent(e: TestStreamEvent, coder: Coder<unknown>): TestStreamPayload_Event {
  const millis = (t: number) => BigInt(Math.round(Math.min(Math.max(t, MIN_TIMESTAMP), MAX_TIMESTAMP)));
  switch (e.kind) {
    case "elements":
      return {
        event: {
          $case: "elementEvent",
          elementEvent: {
            tag: "",
            elements: e.elements.map((x) => ({ encodedElement: Buffer.from(encodeToBytes(coder, x.value)), timestamp: millis(x.timestamp) })),
          },
        },
      };
    case "watermark":
      return { event: { $case: "watermarkEvent", watermarkEvent: { tag: "", newWatermark: e.watermark >= MAX_TIMESTAMP ? 9223372036854775n : millis(e.watermark) } } };
    case "processingTime":
      return { event: { $case: "processingTimeEvent", processingTimeEvent: { advanceDuration: BigInt(e.advanceBy) } } };
  }
}
