import type { BoundedWindow, Coder, WindowedValue } from "../model/index.js";
import { UnsupportedFeatureError, kv } from "../model/index.js";
import type { TransformNode } from "../pipeline/index.js";
import { DoFnOperation, fanOut, userCodeError, type Operation, type Receiver } from "../runtime/index.js";
import { isSplittableDoFn } from "../transforms/index.js";
import { BEAM_URNS } from "../proto/urns.js";
import { ParDoPayload, type PTransform as ProtoPTransform } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { ProcessSizedElementsOperation } from "./sdf-process.js";
import { restrictionSize, type AnySdf, type ElementAndRestriction, type SizedElementAndRestriction } from "./sdf-elements.js";

/** The standard URNs of the steps a runner expands a splittable ParDo into. */
export const SdfUrns = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.SplittableParDoComponents"];

/** Pieces `splitRestriction` is asked for, per element (as the embedded runner does). */
export const DESIRED_CHUNKS = 4;

const SDF_STEP_URNS: ReadonlySet<string> = new Set(Object.values(SdfUrns));

/** Whether `urn` names one of the expanded steps of a splittable ParDo. */
export function isSdfStepUrn(urn: string): boolean {
  return SDF_STEP_URNS.has(urn);
}

/** What building an SDF step needs from the BundleProcessor. */
export interface SdfStepHost {
  /** The local graph's transform with this unique name (the ParDo payload names it). */
  node(label: string): Readonly<TransformNode>;
  receiverOf(pc: string): Receiver;
  /** The coder of `pc`'s elements as windowed values, as on the data channel. */
  windowedCoderOf(pc: string): Coder<WindowedValue<unknown>>;
}

/** An SDF step built for a descriptor: the operations to run and where its input goes. */
export interface SdfStep {
  /** Operations with a bundle lifecycle (startBundle, finishBundle, teardown). */
  readonly operations: readonly Operation[];
  /** The main input PCollection and its consumer. */
  readonly input: string;
  readonly receiver: Receiver;
  /** Set for the process step: the operation that splits and checkpoints. */
  readonly process?: ProcessSizedElementsOperation;
}

/**
 * Builds one of Beam's splittable-ParDo steps (`beam:transform:sdf_*`) that a runner sends
 * after expanding a splittable ParDo: every step carries the original ParDoPayload, whose
 * DoFn names the splittable DoFn in the local graph.
 */
export function buildSdfStep(transformId: string, t: ProtoPTransform, host: SdfStepHost): SdfStep {
  const urn = t.spec!.urn;
  const payload = ParDoPayload.decode(t.spec!.payload);
  const doFnUrn = payload.doFn?.urn ?? "";
  if (doFnUrn !== "beam:dofn:beam_ts:v1") {
    throw new UnsupportedFeatureError(doFnUrn, `${t.uniqueName}: a DoFn of another SDK (${doFnUrn}) cannot run in the beam-ts harness.`);
  }
  const label = Buffer.from(payload.doFn!.payload).toString("utf8");
  const node = host.node(label);
  const p = node.primitive;
  if (p?.kind !== "parDo" || !p.splittable || !isSplittableDoFn(p.doFn)) {
    throw new Error(`${t.uniqueName}: the runner sent ${urn} for "${label}", which is not a splittable ParDo in this pipeline.`);
  }
  const fn = p.doFn as AnySdf;
  const [inputId, input] = Object.entries(t.inputs).find(([tag]) => !(tag in payload.sideInputs)) ?? [];
  if (input === undefined || inputId === undefined) throw new Error(`${t.uniqueName}: no main input.`);
  const only = (): Receiver => host.receiverOf(Object.values(t.outputs)[0]!);
  switch (urn) {
    case SdfUrns.PAIR_WITH_RESTRICTION: {
      const op = new PairWithRestrictionOperation(label, fn, only());
      return { operations: [op], input, receiver: op };
    }
    case SdfUrns.SPLIT_AND_SIZE_RESTRICTIONS: {
      const op = new SplitAndSizeOperation(label, fn, only());
      return { operations: [op], input, receiver: op };
    }
    case SdfUrns.TRUNCATE_SIZED_RESTRICTION: {
      const op = new TruncateSizedRestrictionOperation(label, fn, only());
      return { operations: [op], input, receiver: op };
    }
    case SdfUrns.PROCESS_SIZED_ELEMENTS_AND_RESTRICTIONS: {
      if (p.sideInputs.length > 0) throw new UnsupportedFeatureError("side inputs", `${label}: splittable DoFns with side inputs are not supported yet.`);
      const tagged = new Map<string, Receiver>();
      for (const [tag, pc] of Object.entries(t.outputs)) if (tag !== "main") tagged.set(tag, host.receiverOf(pc));
      const doFn = new DoFnOperation({
        label,
        template: fn,
        mainOutput: t.outputs["main"] !== undefined ? host.receiverOf(t.outputs["main"]) : fanOut([]),
        taggedOutputs: tagged,
        sideInputs: NO_SIDE_INPUTS,
        declaredViews: new Set(),
        maxConcurrency: 1,
        allowedTimestampSkew: p.allowedTimestampSkew,
      });
      const process = new ProcessSizedElementsOperation({
        label,
        fn,
        doFn,
        transformId,
        inputId,
        outputIds: Object.keys(t.outputs),
        inputCoder: host.windowedCoderOf(input),
      });
      // The DoFnOperation owns the DoFn's lifecycle and metrics; `process` drives its calls.
      return { operations: [process, doFn], input, receiver: process, process };
    }
    default:
      throw new UnsupportedFeatureError(urn, `${t.uniqueName}: the beam-ts harness cannot run ${urn}.`);
  }
}

const NO_SIDE_INPUTS = {
  get(): never {
    throw new Error("side inputs are not supported on splittable DoFns yet.");
  },
};

/** An operation of an SDF step that calls the DoFn's restriction methods (no bundle lifecycle). */
abstract class RestrictionOperation implements Operation {
  constructor(
    readonly label: string,
    protected readonly fn: AnySdf,
    protected readonly output: Receiver,
  ) {}

  startBundle(): void {}
  finishBundle(): void {}

  receive(wv: WindowedValue<unknown>): void {
    for (const window of wv.windows) {
      try {
        this.apply(wv.value, window, (value) => this.output.receive({ value, timestamp: wv.timestamp, windows: [window], pane: wv.pane }));
      } catch (err) {
        throw userCodeError(this.label, err, wv.value, window);
      }
    }
  }

  /** Processes one element in one window (elements are split by window, as Beam does for SDFs). */
  protected abstract apply(value: unknown, window: BoundedWindow, emit: (value: unknown) => void): void;
}

/**
 * `beam:transform:sdf_pair_with_restriction:v1`: element → KV(element, KV(initial
 * restriction, initial watermark estimator state)), once per window.
 */
export class PairWithRestrictionOperation extends RestrictionOperation {
  protected apply(element: unknown, _window: BoundedWindow, emit: (value: unknown) => void): void {
    const restriction = this.fn.getInitialRestriction(element);
    emit(kv(element, kv(restriction, this.fn.getInitialWatermarkState?.(element, restriction))));
  }
}

/**
 * `beam:transform:sdf_split_and_size_restrictions:v1`: KV(element, KV(restriction, state))
 * → one KV(KV(element, KV(piece, state)), size) per piece of `splitRestriction`.
 */
export class SplitAndSizeOperation extends RestrictionOperation {
  protected apply(value: unknown, _window: BoundedWindow, emit: (value: unknown) => void): void {
    const { key: element, value: rs } = value as ElementAndRestriction;
    const pieces = this.fn.splitRestriction ? this.fn.splitRestriction(element, rs.key, DESIRED_CHUNKS) : [rs.key];
    for (const piece of pieces) emit(kv(kv(element, kv(piece, rs.value)), restrictionSize(this.fn, element, piece)));
  }
}

/**
 * `beam:transform:sdf_truncate_sized_restrictions:v1` (a runner draining the pipeline):
 * keeps what `truncateRestriction` returns, or by default a bounded restriction whole and
 * drops an unbounded one.
 */
export class TruncateSizedRestrictionOperation extends RestrictionOperation {
  protected apply(value: unknown, _window: BoundedWindow, emit: (value: unknown) => void): void {
    const { key: er } = value as SizedElementAndRestriction;
    const element = er.key;
    const restriction = er.value.key;
    const truncated = this.fn.truncateRestriction
      ? this.fn.truncateRestriction(element, restriction)
      : this.fn.newTracker(element, restriction).isBounded()
        ? restriction
        : undefined;
    if (truncated === undefined) return;
    emit(kv(kv(element, kv(truncated, er.value.value)), restrictionSize(this.fn, element, truncated)));
  }
}
