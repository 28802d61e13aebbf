import type { BoundedWindow, Coder, WindowedValue, WindowFn } from "../model/index.js";
import { UnsupportedFeatureError, fixedWindows, globalWindows, sessions, slidingWindows } from "../model/index.js";
import { BufferReader, BufferWriter, coderFromSpec, windowedValueCoder, type CoderSpec } from "../coders/index.js";
import type { PipelineGraph, TransformNode } from "../pipeline/index.js";
import { AssignWindowsOperation, DoFnOperation, fanOut, type FinalizationCallback, type Operation, type Receiver } from "../runtime/index.js";
import type { PCollectionView } from "../transforms/index.js";
import { MetricsContainer } from "../metrics/index.js";
import { FnApiSideInputs } from "./side-inputs.js";
import { SideInputPushback } from "./side-input-pushback.js";
import { DataInput, splitResponse } from "./data-input.js";
import { harnessCoder } from "./restriction-coder.js";
import { buildSdfStep, isSdfStepUrn } from "./sdf-operations.js";
import { buildCombinePhase, isCombinePhaseUrn } from "./combine-operations.js";
import { ProcessSizedElementsOperation } from "./sdf-process.js";
import { FnApiStatefulOperation, createStatefulOperation } from "./stateful-operation.js";
import type { UserStateClient } from "./user-state.js";
import type {
  DelayedBundleApplication,
  ProcessBundleDescriptor,
  ProcessBundleSplitRequest,
  ProcessBundleSplitResponse,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { RemoteGrpcPort } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { WindowIntoPayload, ParDoPayload, type PTransform as ProtoPTransform } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { FixedWindowsPayload, SlidingWindowsPayload, SessionWindowsPayload } from "../proto/org/apache/beam/model/pipeline/v1/standard_window_fns.js";

const DATA_SOURCE = "beam:runner:source:v1";
const DATA_SINK = "beam:runner:sink:v1";
const PAR_DO = "beam:transform:pardo:v1";
const FLATTEN = "beam:transform:flatten:v1";
const WINDOW_INTO = "beam:transform:window_into:v1";
const BEAM_TS_DO_FN = "beam:dofn:beam_ts:v1";

/** Where a bundle's output goes: encoded elements per data-sink transform. */
export interface OutputChannel {
  send(transformId: string, data: Uint8Array, isLast: boolean): void;
  /** Timers a stateful ParDo set or cleared (Elements.timers), per timer family. */
  sendTimers?(transformId: string, timerFamilyId: string, data: Uint8Array, isLast: boolean): void;
}

/** A data source of a descriptor: which transform, and how its bytes decode. */
interface Source {
  readonly transformId: string;
  readonly coder: Coder<WindowedValue<unknown>>;
  readonly input: DataInput;
}

/**
 * Runs the bundles of one ProcessBundleDescriptor (Beam's Fn API): builds operations for
 * the descriptor's transforms — data sources and sinks, ParDos (the DoFn is found by the
 * transform's unique name in this process's pipeline graph: code ships as a module, never
 * serialized), flattens, window assignment, splittable-DoFn steps and combine phases
 * (sdf-operations.ts, combine-operations.ts) — with the same runtime layer as the
 * embedded runner, then decodes input elements, pushes them through and encodes outputs.
 */
export class BundleProcessor {
  private readonly sources = new Map<string, Source>();
  private readonly sinks: DataSink[] = [];
  private readonly ops: Operation[] = [];
  private readonly receivers = new Map<string, Receiver>();
  private readonly consumers = new Map<string, Receiver[]>();
  private readonly coders = new Map<string, Coder<unknown>>();
  /** The process steps of splittable DoFns (residuals, finalization callbacks). */
  private readonly sdfProcesses: ProcessSizedElementsOperation[] = [];
  /** Stateful ParDos by transform id: they receive fired timers and use user state. */
  private readonly stateful = new Map<string, FnApiStatefulOperation>();
  readonly sideInputs = new FnApiSideInputs();
  /** The pushbacks in front of ParDos with side inputs, downstream first (build order). */
  private readonly pushbacks: SideInputPushback[] = [];

  constructor(
    private readonly descriptor: ProcessBundleDescriptor,
    private readonly graph: PipelineGraph,
  ) {
    this.build();
  }

  /** The data-source transforms whose input must end before the bundle can finish. */
  get sourceIds(): readonly string[] {
    return [...this.sources.keys()];
  }

  /** The timer streams (transform, timer family) the runner ends with an is_last block in every bundle. */
  get timerStreams(): readonly { readonly transformId: string; readonly timerFamilyId: string }[] {
    return [...this.stateful].flatMap(([transformId, op]) => op.timerFamilyIds.map((timerFamilyId) => ({ transformId, timerFamilyId })));
  }

  async start(out: OutputChannel, userState?: UserStateClient): Promise<void> {
    for (const s of this.sinks) s.channel = out;
    for (const s of this.sources.values()) s.input.reset();
    for (const op of this.stateful.values()) {
      op.bind({ state: userState, sendTimers: (t, f, data, isLast) => out.sendTimers!(t, f, data, isLast) });
    }
    // Each bundle gets fresh metric containers, reported when it ends (see metrics()).
    for (const op of this.ops) {
      const fn = doFnOf(op);
      if (fn !== undefined) fn.metrics = new MetricsContainer(fn.label);
    }
    for (const op of this.ops) await op.startBundle();
  }

  /** The metric containers of the current bundle's DoFns. */
  metrics(): MetricsContainer[] {
    return this.ops.flatMap((op) => doFnOf(op)?.metrics ?? []);
  }

  /**
   * Decodes one data frame for a source and processes its elements. Elements a ParDo with
   * side inputs held back (SideInputPushback) go on once their side windows are read.
   */
  async receive(transformId: string, data: Uint8Array): Promise<void> {
    const source = this.sources.get(transformId);
    if (source === undefined) throw new Error(`Unknown data source ${transformId} in descriptor ${this.descriptor.id}.`);
    const reader = new BufferReader(data);
    const elements: WindowedValue<unknown>[] = [];
    while (reader.remaining > 0) elements.push(source.coder.decode(reader, true));
    await source.input.process(elements);
    await this.drainStateful();
  }

  /**
   * Runs the timers of one timer block the runner fired for a stateful ParDo. Side inputs
   * of the timers' windows are fetched first (onTimer and onWindowExpiration read them).
   */
  async receiveTimers(transformId: string, timerFamilyId: string, data: Uint8Array): Promise<void> {
    const op = this.stateful.get(transformId);
    if (op === undefined) throw new Error(`Timers for ${transformId}, which is no stateful ParDo of descriptor ${this.descriptor.id}.`);
    const timers = op.decodeTimers(timerFamilyId, data);
    // Read before the timers are queued: a data frame may run the queue meanwhile.
    if (this.sideInputs.declaredCount > 0) await this.sideInputs.loadAll(timers.map((t) => t.window));
    op.queueTimers(timers);
    await this.drainStateful();
  }

  /**
   * Runs what waits: elements held for side inputs, and the queued work of stateful ParDos
   * (its state is read first).
   */
  private async drainStateful(): Promise<void> {
    // A pushback's elements may reach a stateful ParDo, whose outputs may reach another
    // pushback: repeat until nothing waits. Upstream pushbacks (built last) go first.
    do {
      for (let i = this.pushbacks.length - 1; i >= 0; i--) await this.pushbacks[i]!.flush();
      for (const op of this.stateful.values()) await op.drain();
    } while (this.pushbacks.some((p) => p.holding));
  }

  /** Answers the runner's split request for the running bundle (see DataInput.trySplit). */
  split(request: ProcessBundleSplitRequest): ProcessBundleSplitResponse {
    return splitResponse(new Map([...this.sources].map(([id, s]) => [id, s.input])), request);
  }

  /** The index of the element each data source is at (progress for the runner). */
  readIndexes(): Map<string, number> {
    return new Map([...this.sources].map(([id, s]) => [id, s.input.readIndex]));
  }

  /** What splittable DoFns left to do in the bundle that finished (self-checkpoints). */
  takeResiduals(): DelayedBundleApplication[] {
    return this.sdfProcesses.flatMap((p) => p.takeResiduals());
  }

  /**
   * The `afterBundleCommit` callbacks of the bundle that finished (plain, stateful and
   * splittable DoFns, in step order), to run when the runner finalizes it.
   */
  takeFinalizations(): FinalizationCallback[] {
    const ops = new Set<DoFnOperation>();
    for (const op of this.ops) {
      const fn = doFnOf(op);
      if (fn !== undefined) ops.add(fn);
    }
    for (const p of this.sdfProcesses) ops.add(p.doFn);
    return [...ops].flatMap((op) => op.finalizations.take());
  }

  private windowCoderOf(pc: string): Coder<BoundedWindow> {
    const ws = this.descriptor.windowingStrategies[this.descriptor.pcollections[pc]!.windowingStrategyId]!;
    return this.coder(ws.windowCoderId) as Coder<BoundedWindow>;
  }

  async finish(): Promise<void> {
    // `ops` runs from the sinks back to the sources (see build()); finish upstream first,
    // so what a DoFn emits in finishBundle still reaches operations that have not finished.
    for (let i = this.ops.length - 1; i >= 0; i--) await this.ops[i]!.finishBundle();
    for (const s of this.sinks) s.flush(true);
  }

  async teardown(): Promise<void> {
    await Promise.all(this.ops.map((op) => op.teardown?.()));
  }

  private coder(id: string): Coder<unknown> {
    let c = this.coders.get(id);
    if (c === undefined) {
      c = coderFromSpec(this.coderSpec(id), { resolve: harnessCoder });
      this.coders.set(id, c);
    }
    return c;
  }

  private coderSpec(id: string): CoderSpec {
    const proto = this.descriptor.coders[id];
    if (proto === undefined) throw new Error(`Descriptor ${this.descriptor.id} has no coder ${id}.`);
    return { urn: proto.spec!.urn, payload: proto.spec!.payload, components: proto.componentCoderIds.map((c) => this.coderSpec(c)) };
  }

  /** Builds operations from the sinks backwards, so every output has its receivers. */
  private build(): void {
    const transforms = Object.entries(this.descriptor.transforms);
    const built = new Set<string>();
    const buildOne = (id: string, t: ProtoPTransform): void => {
      if (built.has(id)) return;
      built.add(id);
      // Consumers first: everything reading this transform's outputs.
      for (const pc of Object.values(t.outputs)) {
        for (const [cid, c] of transforms) if (Object.values(c.inputs).includes(pc)) buildOne(cid, c);
      }
      this.buildTransform(id, t);
    };
    for (const [id, t] of transforms) buildOne(id, t);
  }

  private receiverOf(pc: string): Receiver {
    let r = this.receivers.get(pc);
    if (r === undefined) {
      r = fanOut(this.consumers.get(pc) ?? []);
      this.receivers.set(pc, r);
    }
    return r;
  }

  private consume(pc: string, r: Receiver): void {
    let list = this.consumers.get(pc);
    if (list === undefined) this.consumers.set(pc, (list = []));
    list.push(r);
  }

  private buildTransform(id: string, t: ProtoPTransform): void {
    const urn = t.spec?.urn ?? "";
    const input = Object.values(t.inputs)[0];
    const output = Object.values(t.outputs)[0];
    switch (urn) {
      case DATA_SOURCE: {
        const port = RemoteGrpcPort.decode(t.spec!.payload);
        const only = this.consumers.get(output!)?.length === 1 ? this.consumers.get(output!)![0] : undefined;
        const splittable = only instanceof ProcessSizedElementsOperation ? only : undefined;
        const input = new DataInput(id, this.receiverOf(output!), splittable);
        this.sources.set(id, { transformId: id, coder: this.coder(port.coderId) as Coder<WindowedValue<unknown>>, input });
        return;
      }
      case DATA_SINK: {
        const port = RemoteGrpcPort.decode(t.spec!.payload);
        const sink = new DataSink(id, this.coder(port.coderId) as Coder<WindowedValue<unknown>>);
        this.sinks.push(sink);
        this.consume(input!, sink);
        return;
      }
      case FLATTEN: {
        const target = this.receiverOf(output!);
        for (const pc of Object.values(t.inputs)) this.consume(pc, target);
        return;
      }
      case WINDOW_INTO: {
        const payload = WindowIntoPayload.decode(t.spec!.payload);
        const op = new AssignWindowsOperation(t.uniqueName, this.windowFn(payload.windowFn?.urn ?? "", payload.windowFn?.payload, t.uniqueName), this.receiverOf(output!));
        this.ops.push(op);
        this.consume(input!, op);
        return;
      }
      case PAR_DO: {
        const payload = ParDoPayload.decode(t.spec!.payload);
        if (payload.doFn?.urn !== BEAM_TS_DO_FN) {
          throw new UnsupportedFeatureError(payload.doFn?.urn ?? "", `${t.uniqueName}: a DoFn of another SDK (${payload.doFn?.urn}) cannot run in the beam-ts harness.`);
        }
        const node = this.node(Buffer.from(payload.doFn.payload).toString("utf8"));
        const p = node.primitive as Extract<TransformNode["primitive"], { kind: "parDo" }>;
        for (const s of p.sideInputs) {
          const pc = t.inputs[s.tag];
          if (pc === undefined) throw new Error(`${t.uniqueName}: the runner's descriptor lacks side input ${s.tag}.`);
          this.sideInputs.declare({
            transformId: id,
            sideInputId: s.tag,
            view: s.view as PCollectionView<unknown>,
            elementCoder: this.coder(this.descriptor.pcollections[pc]!.coderId),
            windowCoder: this.windowCoderOf(pc),
          });
        }
        const tagged = new Map<string, Receiver>();
        for (const [tag, pc] of Object.entries(t.outputs)) if (tag !== "main") tagged.set(tag, this.receiverOf(pc));
        const op = new DoFnOperation({
          label: t.uniqueName,
          template: p.doFn,
          mainOutput: t.outputs["main"] !== undefined ? this.receiverOf(t.outputs["main"]) : fanOut([]),
          taggedOutputs: tagged,
          sideInputs: this.sideInputs,
          declaredViews: new Set(p.sideInputs.map((s) => s.view as PCollectionView<unknown>)),
          maxConcurrency: p.maxConcurrency,
          allowedTimestampSkew: p.allowedTimestampSkew,
        });
        const main = Object.entries(t.inputs).find(([tag]) => !(tag in payload.sideInputs))?.[1];
        if (p.stateful) {
          const pc = this.descriptor.pcollections[main!]!;
          const stateful = createStatefulOperation({
            transformId: id,
            payload,
            op,
            doFn: p.doFn,
            inputCoder: this.coder(pc.coderId),
            windowCoder: this.windowCoderOf(main!),
            allowedLateness: Number(this.descriptor.windowingStrategies[pc.windowingStrategyId]?.allowedLateness ?? 0n),
            coder: (c) => this.coder(c),
          });
          this.stateful.set(id, stateful);
          this.ops.push(stateful);
          this.consume(main!, this.withSideInputs(stateful, p.sideInputs));
          return;
        }
        this.ops.push(op);
        this.consume(main!, this.withSideInputs(op, p.sideInputs));
        return;
      }
      default: {
        if (isCombinePhaseUrn(urn)) {
          const phase = buildCombinePhase(t, {
            node: (label) => this.node(label),
            receiverOf: (pc) => this.receiverOf(pc),
            coderOf: (pc) => this.coder(this.descriptor.pcollections[pc]!.coderId),
            outputTimeOf: (pc) => this.descriptor.windowingStrategies[this.descriptor.pcollections[pc]!.windowingStrategyId]!.outputTime,
          });
          this.ops.push(phase.operation);
          this.consume(phase.input, phase.operation);
          return;
        }
        if (isSdfStepUrn(urn)) {
          const step = buildSdfStep(id, t, {
            node: (label) => this.node(label),
            receiverOf: (pc) => this.receiverOf(pc),
            windowedCoderOf: (pc) => windowedValueCoder(this.coder(this.descriptor.pcollections[pc]!.coderId), this.windowCoderOf(pc)),
          });
          this.ops.push(...step.operations);
          if (step.process !== undefined) this.sdfProcesses.push(step.process);
          this.consume(step.input, step.receiver);
          return;
        }
        throw new UnsupportedFeatureError(urn, `${t.uniqueName}: the beam-ts harness cannot run ${urn} yet.`);
      }
    }
  }

  /**
   * The receiver of a ParDo's main input: the ParDo itself, or with side inputs a
   * SideInputPushback in front of it. Pushed after the ParDo, so `finish` (upstream
   * first) hands on what it holds before the ParDo finishes.
   */
  private withSideInputs(op: Operation, sideInputs: readonly { readonly view: unknown }[]): Operation {
    if (sideInputs.length === 0) return op;
    const pushback = new SideInputPushback(op, this.sideInputs, sideInputs.map((s) => s.view as PCollectionView<unknown>));
    this.pushbacks.push(pushback);
    this.ops.push(pushback);
    return pushback;
  }

  /** The transform of the local pipeline graph with this unique name. */
  private node(label: string): Readonly<TransformNode> {
    for (const t of this.graph.transforms.values()) if (t.fullLabel === label) return t;
    throw new Error(
      `The worker's pipeline has no transform "${label}": the pipeline module built a different graph here than ` +
        `where it was submitted (non-deterministic construction?).`,
    );
  }

  private windowFn(urn: string, payload: Uint8Array | undefined, label: string): WindowFn<BoundedWindow> {
    const ms = (d: { seconds: bigint; nanos: number } | undefined) => (d === undefined ? 0 : Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6));
    const bytes = payload ?? new Uint8Array(0);
    switch (urn) {
      case "beam:window_fn:global_windows:v1":
        return globalWindows() as WindowFn<BoundedWindow>;
      case "beam:window_fn:fixed_windows:v1": {
        const p = FixedWindowsPayload.decode(bytes);
        return fixedWindows(ms(p.size), ms(p.offset)) as WindowFn<BoundedWindow>;
      }
      case "beam:window_fn:sliding_windows:v1": {
        const p = SlidingWindowsPayload.decode(bytes);
        return slidingWindows(ms(p.size), ms(p.period), ms(p.offset)) as WindowFn<BoundedWindow>;
      }
      case "beam:window_fn:session_windows:v1":
        return sessions(ms(SessionWindowsPayload.decode(bytes).gapSize)) as WindowFn<BoundedWindow>;
      default: {
        const node = this.node(label);
        if (node.primitive?.kind !== "assignWindows") throw new UnsupportedFeatureError(urn, `${label}: unknown WindowFn ${urn}.`);
        return node.primitive.windowing.windowFn;
      }
    }
  }
}

/** The DoFn operation of an operation (a stateful ParDo wraps one), for its metrics. */
function doFnOf(op: Operation): DoFnOperation | undefined {
  if (op instanceof DoFnOperation) return op;
  return op instanceof FnApiStatefulOperation ? op.doFnOperation : undefined;
}

/** Encodes a sink's elements into data frames of about 64 KiB. */
class DataSink implements Receiver {
  channel: OutputChannel | undefined;
  private writer = new BufferWriter();

  constructor(
    private readonly transformId: string,
    private readonly coder: Coder<WindowedValue<unknown>>,
  ) {}

  receive(wv: WindowedValue<unknown>): void {
    this.coder.encode(wv, this.writer, true);
    if (this.writer.length >= 64 * 1024) this.flush(false);
  }

  flush(isLast: boolean): void {
    const bytes = this.writer.finish();
    this.writer = new BufferWriter();
    if (bytes.length > 0 || isLast) this.channel!.send(this.transformId, bytes, false);
    if (isLast) this.channel!.send(this.transformId, new Uint8Array(0), true);
  }
}
