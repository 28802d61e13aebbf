import type { BoundedWindow, Coder, Instant, WindowedValue } from "../model/index.js";
import { NO_FIRING, UnsupportedFeatureError, isKv, kv, notAKvError } from "../model/index.js";
import type { TransformNode } from "../pipeline/index.js";
import { KeyedWindowTable, userCodeError, type Operation, type Receiver, type WindowEntry } from "../runtime/index.js";
import { combineAll, type CombineFn } from "../transforms/index.js";
import { BEAM_URNS } from "../proto/urns.js";
import { CombinePayload, OutputTime_Enum, type PTransform as ProtoPTransform } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";

/** The standard URNs of the phases a runner lifts Combine.perKey into (CombinePayload each). */
export const CombinePhaseUrns = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.CombineComponents"];

const PHASE_URNS: ReadonlySet<string> = new Set(Object.values(CombinePhaseUrns));

/** The CombineFn URN beam-ts declares; its payload is the Combine.perKey's full label. */
const BEAM_TS_COMBINE_FN = "beam:combinefn:beam_ts:v1";

/**
 * Keys (times windows) a precombine keeps in memory before it flushes its accumulators
 * early, as Beam's SDKs bound their lifting caches; the GroupByKey merges what is flushed.
 */
export const PRECOMBINE_MAX_ENTRIES = 10_000;

/** Whether `urn` names one of Beam's combine phases. */
export function isCombinePhaseUrn(urn: string): boolean {
  return PHASE_URNS.has(urn);
}

/** What building a combine phase needs from the BundleProcessor. */
export interface CombinePhaseHost {
  /** The local graph's transform with this unique name (the CombinePayload names it). */
  node(label: string): Readonly<TransformNode>;
  receiverOf(pc: string): Receiver;
  /** The coder of `pc`'s elements (without window metadata), from the descriptor. */
  coderOf(pc: string): Coder<unknown>;
  /** The output time (timestamp combiner) of `pc`'s windowing strategy. */
  outputTimeOf(pc: string): OutputTime_Enum;
}

/** A combine phase built for a descriptor: its operation and the PCollection it reads. */
export interface CombinePhase {
  readonly operation: Operation;
  readonly input: string;
}

type AnyCombineFn = CombineFn<unknown, unknown, unknown>;

/**
 * Builds one of Beam's combine phases (`beam:transform:combine_*`) a runner sends for a
 * lifted Combine.perKey (precombine, merge accumulators, extract outputs), for a combine it
 * did not lift (combine grouped values) or converting inputs to accumulators. Each carries
 * the CombinePayload, whose CombineFn names the Combine.perKey in the local graph.
 */
export function buildCombinePhase(t: ProtoPTransform, host: CombinePhaseHost): CombinePhase {
  const urn = t.spec!.urn;
  const payload = CombinePayload.decode(t.spec!.payload);
  const fnUrn = payload.combineFn?.urn ?? "";
  if (fnUrn !== BEAM_TS_COMBINE_FN) {
    throw new UnsupportedFeatureError(fnUrn, `${t.uniqueName}: a CombineFn of another SDK (${fnUrn}) cannot run in the beam-ts harness.`);
  }
  const label = Buffer.from(payload.combineFn!.payload).toString("utf8");
  const node = host.node(label);
  if (node.annotation?.kind !== "combinePerKey") {
    throw new Error(`${t.uniqueName}: the runner sent ${urn} for "${label}", which is not a Combine.perKey in this pipeline.`);
  }
  const fn = node.annotation.combineFn as AnyCombineFn;
  const input = Object.values(t.inputs)[0];
  const output = Object.values(t.outputs)[0];
  if (input === undefined || output === undefined) throw new Error(`${t.uniqueName}: ${urn} needs one input and one output.`);
  // Runners name the phases themselves (Prism: e<id>_lift); errors name the user's transform.
  const name = `${label} (${t.uniqueName})`;
  const out = host.receiverOf(output);
  switch (urn) {
    case CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE: {
      const keyCoder = host.coderOf(input).components[0];
      if (keyCoder === undefined) throw new Error(`${t.uniqueName}: the input of a precombine must be coded as KVs.`);
      return { operation: new PrecombineOperation(name, fn, keyCoder, host.outputTimeOf(input), out), input };
    }
    case CombinePhaseUrns.COMBINE_PER_KEY_MERGE_ACCUMULATORS:
      return { operation: new PerKeyOperation(name, (accs) => fn.mergeAccumulators(accs as Iterable<unknown>), out), input };
    case CombinePhaseUrns.COMBINE_PER_KEY_EXTRACT_OUTPUTS:
      return { operation: new PerKeyOperation(name, (acc) => fn.extractOutput(acc), out), input };
    case CombinePhaseUrns.COMBINE_GROUPED_VALUES:
      return { operation: new PerKeyOperation(name, (values) => combineAll(fn, values as Iterable<unknown>), out), input };
    case CombinePhaseUrns.COMBINE_PER_KEY_CONVERT_TO_ACCUMULATORS:
      return { operation: new PerKeyOperation(name, (value) => fn.addInput(fn.createAccumulator(), value), out), input };
    default:
      throw new UnsupportedFeatureError(urn, `${t.uniqueName}: the beam-ts harness cannot run ${urn}.`);
  }
}

/**
 * A phase that maps each KV's value and keeps the key, timestamp, windows and pane:
 * merge accumulators (KV<K, Iterable<A>> → KV<K, A>), extract outputs (KV<K, A> →
 * KV<K, O>), combine grouped values (KV<K, Iterable<I>> → KV<K, O>) and convert to
 * accumulators (KV<K, I> → KV<K, A>).
 */
class PerKeyOperation implements Operation {
  constructor(
    readonly label: string,
    private readonly apply: (value: unknown) => unknown,
    private readonly out: Receiver,
  ) {}

  startBundle(): void {}

  receive(wv: WindowedValue<unknown>): void {
    if (!isKv(wv.value)) throw notAKvError(this.label, wv.value);
    const e = wv.value;
    let value: unknown;
    try {
      value = this.apply(e.value);
    } catch (err) {
      throw userCodeError(this.label, err, e, wv.windows[0]);
    }
    this.out.receive({ value: kv(e.key, value), timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane });
  }

  finishBundle(): void {}
}

/**
 * Beam's partial combine before the shuffle (Python's PGBKCV, Go's LiftedCombine): adds
 * each KV<K, I> to an accumulator per key and window, and emits KV<K, A> (compacted) when
 * the bundle finishes, or earlier when more than PRECOMBINE_MAX_ENTRIES accumulators are
 * held. Keys are compared by Beam's rule (equal encodings under the key coder). An
 * accumulator's timestamp follows the windowing's timestamp combiner (earliest or latest
 * input it holds; the earliest for end-of-window, which the GroupByKey replaces anyway),
 * so the runner computes the pane's timestamp as it would from the elements.
 */
class PrecombineOperation implements Operation {
  private readonly table: KeyedWindowTable<unknown>;
  private entries = 0;
  /**
   * Set once finishBundle flushed. The BundleProcessor may finish this operation before an
   * upstream DoFn that outputs in its own finishBundle; such late elements go out at once.
   */
  private finished = false;

  constructor(
    readonly label: string,
    private readonly fn: AnyCombineFn,
    keyCoder: Coder<unknown>,
    private readonly outputTime: OutputTime_Enum,
    private readonly out: Receiver,
  ) {
    this.table = new KeyedWindowTable(keyCoder);
  }

  startBundle(): void {
    this.table.clear();
    this.entries = 0;
    this.finished = false;
  }

  receive(wv: WindowedValue<unknown>): void {
    if (!isKv(wv.value)) throw notAKvError(this.label, wv.value);
    const e = wv.value;
    for (const w of wv.windows) {
      try {
        const entry = this.table.entry(e.key, w, wv.timestamp, this.create);
        if (entry.count === 1) this.entries++;
        entry.state = this.fn.addInput(entry.state, e.value);
      } catch (err) {
        throw userCodeError(this.label, err, e, w);
      }
    }
    if (this.finished || this.entries > PRECOMBINE_MAX_ENTRIES) this.flush();
  }

  finishBundle(): void {
    this.flush();
    this.finished = true;
  }

  private readonly create = (): unknown => this.fn.createAccumulator();

  /** Emits every accumulator held and empties the table. */
  private flush(): void {
    const compact = this.fn.compact?.bind(this.fn);
    for (const ke of this.table.keys()) {
      this.emit(ke.key, ke.first, compact);
      if (ke.more !== undefined) for (const we of ke.more.values()) this.emit(ke.key, we, compact);
    }
    this.table.clear();
    this.entries = 0;
  }

  private emit(key: unknown, we: WindowEntry<unknown>, compact: ((a: unknown) => unknown) | undefined): void {
    let acc = we.state;
    if (compact !== undefined) {
      try {
        acc = compact(acc);
      } catch (err) {
        throw userCodeError(this.label, err, key, we.window);
      }
    }
    const windows: readonly BoundedWindow[] = [we.window];
    this.out.receive({ value: kv(key, acc), timestamp: this.timestampOf(we), windows, pane: NO_FIRING });
  }

  private timestampOf(we: WindowEntry<unknown>): Instant {
    return this.outputTime === OutputTime_Enum.LATEST_IN_PANE ? we.maxTimestamp : we.minTimestamp;
  }
}
