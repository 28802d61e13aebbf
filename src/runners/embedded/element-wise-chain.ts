import type { BoundedWindow, Instant, PaneInfo, WindowedValue } from "../../model/index.js";
import { NO_FIRING, TimestampedValue } from "../../model/index.js";
import { syncScope, type MetricsContainer } from "../../metrics/index.js";
import { DoFnOperation, userCodeError, type Operation, type Receiver } from "../../runtime/index.js";
import type { ElementWise } from "../../transforms/element-wise.js";
import type { BundleFinalizer, OutputTags, PCollectionView, ProcessContext } from "../../transforms/index.js";
import type { EdgeCheck } from "./immutability-enforcement.js";

/** One step of a chain: its operation (labels, metrics, counts, lifecycle) and its function. */
export interface ChainLink {
  readonly op: DoFnOperation;
  readonly step: ElementWise;
  /** Under --enforceImmutability, the check of this step's input. */
  readonly check: EdgeCheck | undefined;
}

const MAP = 0;
const FILTER = 1;
const FLAT_MAP = 2;
const KINDS = { map: MAP, filter: FILTER, flatMap: FLAT_MAP } as const;

/** The element a chain is running, which every step's context reads. */
class Current {
  // Starts as a non-number so V8 keeps the field tagged: a double field would box a fresh
  // HeapNumber on every read that is passed on (an allocation per element output).
  timestamp: Instant = undefined as unknown as Instant;
  window!: BoundedWindow;
  windows!: readonly BoundedWindow[];
  pane: PaneInfo = NO_FIRING;
}

/**
 * A step's ProcessContext inside a chain: reads the chain's current element, so nothing is
 * set per step; outputs it makes itself (`ctx.output` in a map function) take the step's
 * own output path.
 */
class LinkContext implements ProcessContext<unknown, OutputTags> {
  constructor(
    private readonly op: DoFnOperation,
    private readonly cur: Current,
  ) {}
  get timestamp(): Instant {
    return this.cur.timestamp;
  }
  get window(): BoundedWindow {
    return this.cur.window;
  }
  get pane(): PaneInfo {
    return this.cur.pane;
  }
  get metrics(): MetricsContainer {
    return this.op.metrics;
  }
  get bundleFinalizer(): BundleFinalizer {
    return this.op.finalizations;
  }
  output(value: unknown): void {
    const cur = this.cur;
    this.op.emitMain(value, cur.timestamp, cur.windows, cur.pane);
  }
  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    const cur = this.cur;
    if (timestamp < cur.timestamp - this.op.allowedSkew) this.op.skewError(timestamp, cur.timestamp);
    this.op.emit(undefined, value, timestamp, cur.windows, cur.pane);
  }
  outputTo(tag: string, value: unknown): void {
    const cur = this.cur;
    this.op.emit(tag, value, cur.timestamp, cur.windows, cur.pane);
  }
  sideInput<V>(view: PCollectionView<V>): V {
    return this.op.readSide(view, this.cur.window);
  }
}

/**
 * Fused map, filter and flatMap steps run as one loop: each element goes from one step's
 * function straight into the next one's, with no receiver, context or WindowedValue per
 * step. What stays per step: the metrics scope around its call, its element count, errors
 * naming it, and (under --enforceImmutability) the check of its input. The steps'
 * operations keep their own wiring and lifecycle; a result the loop does not handle
 * itself (a promise, an async iterable) is handed to the step, which delivers it on its own
 * output path, and a step that became async is from then on called through its operation.
 * An element in several windows goes the operations' way too (each window is a call).
 *
 * @example
 * // map → filter → map, each step a DoFnOperation already wired to the next
 * const chain = new ElementWiseChain([link(parse), link(valid), link(enrich)], receiverOfEnrichOutput);
 * chain.receiveParts(line, timestamp, [GLOBAL_WINDOW], NO_FIRING);
 */
export class ElementWiseChain implements Receiver {
  /** The first step: a receiver before the chain names it as the reader of its input. */
  readonly head: DoFnOperation;
  private readonly ops: readonly DoFnOperation[];
  private readonly fns: readonly ElementWise["fn"][];
  private readonly kinds: readonly number[];
  private readonly contexts: readonly LinkContext[];
  private readonly checks: (EdgeCheck | undefined)[];
  private readonly cur = new Current();
  /** Steps from this index on run through their operations (they became async). */
  private asyncFrom: number;

  /**
   * `out`: the receiver of the last step's output, or (`outCheck` given) the one DoFn that
   * reads it, whose input the chain then checks itself.
   */
  constructor(
    private readonly links: readonly ChainLink[],
    private readonly out: Receiver,
    private readonly outCheck?: EdgeCheck,
  ) {
    this.head = links[0]!.op;
    this.ops = links.map((l) => l.op);
    this.fns = links.map((l) => l.step.fn);
    this.kinds = links.map((l) => KINDS[l.step.kind]);
    this.contexts = links.map((l) => new LinkContext(l.op, this.cur));
    this.checks = links.map((l) => l.check);
    const firstAsync = links.findIndex((l) => l.op.isAsync);
    this.asyncFrom = firstAsync === -1 ? links.length : firstAsync;
  }

  /** The chain checks its first step's input itself (it is that input's only reader). */
  checkInput(check: EdgeCheck): void {
    this.checks[0] = check;
  }

  receive(wv: WindowedValue<unknown>): void {
    this.receiveParts(wv.value, wv.timestamp, wv.windows, wv.pane);
  }

  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    if (windows.length !== 1) {
      const check = this.checks[0];
      const before = check === undefined ? undefined : check.before(value);
      this.head.receiveParts(value, timestamp, windows, pane);
      if (before !== undefined) check!.after(value, before);
      return;
    }
    const cur = this.cur;
    cur.window = windows[0]!;
    cur.windows = windows;
    cur.pane = pane;
    this.run(0, value, timestamp);
  }

  /** Runs `value` through the steps from `from` on, then hands it to the chain's output. */
  private run(from: number, value: unknown, timestamp: Instant): void {
    const ops = this.ops;
    const fns = this.fns;
    const kinds = this.kinds;
    const checks = this.checks;
    const cur = this.cur;
    const n = ops.length;
    let v = value;
    let ts = timestamp;
    for (let i = from; i < n; i++) {
      const op = ops[i]!;
      if (i >= this.asyncFrom) {
        // As a receiver in front of the step would: checked around the call that takes it.
        const check = checks[i];
        const before = check === undefined ? undefined : check.before(v);
        op.receiveParts(v, ts, cur.windows, cur.pane);
        if (before !== undefined) check!.after(v, before);
        return;
      }
      op.elementsIn++;
      cur.timestamp = ts;
      const check = checks[i];
      const before = check === undefined ? undefined : check.before(v);
      const previous = syncScope.container;
      syncScope.container = op.metrics;
      let out: unknown;
      try {
        out = fns[i]!(v, this.contexts[i]!);
      } catch (err) {
        syncScope.container = previous;
        throw userCodeError(op.label, err, v, cur.window);
      }
      syncScope.container = previous;
      if (before !== undefined) check!.after(v, before);
      const kind = kinds[i];
      if (kind === MAP) {
        if (typeof out === "object" && out !== null) {
          if (out instanceof TimestampedValue) {
            if (out.timestamp < ts - op.allowedSkew) throw this.skewed(op, out.timestamp, ts, v);
            v = out.value;
            ts = out.timestamp;
            continue;
          }
          if (typeof (out as { then?: unknown }).then === "function") {
            this.handOver(i, v, out, ts);
            return;
          }
        }
        v = out;
      } else if (kind === FILTER) {
        if (out === true) continue;
        if (out === false) return;
        if (typeof out === "object" && out !== null && typeof (out as { then?: unknown }).then === "function") {
          this.handOver(i, v, out, ts);
          return;
        }
        if (!out) return;
      } else {
        this.fanOut(i, v, out, ts);
        return;
      }
    }
    const target = this.out;
    const outCheck = this.outCheck;
    try {
      const before = outCheck === undefined ? undefined : outCheck.before(v);
      if (target.receiveParts !== undefined) target.receiveParts(v, ts, cur.windows, cur.pane);
      else target.receive({ value: v, timestamp: ts, windows: cur.windows, pane: cur.pane });
      if (before !== undefined) outCheck!.after(v, before);
    } catch (err) {
      // As when the last step outputs from its own call: what fails downstream of it (a
      // runner's check of the element) names it, user code errors keep their own step.
      throw userCodeError(ops[n - 1]!.label, err, v, cur.window);
    }
  }

  /** Beam's check that outputs do not move back in event time, as the step's own output would fail. */
  private skewed(op: DoFnOperation, output: Instant, input: Instant, element: unknown): Error {
    try {
      op.skewError(output, input);
    } catch (err) {
      return userCodeError(op.label, err, element, this.cur.window);
    }
  }

  /** A flatMap step's outputs, each through the rest of the chain. */
  private fanOut(i: number, element: unknown, out: unknown, ts: Instant): void {
    if (
      typeof out !== "object" ||
      out === null ||
      typeof (out as { then?: unknown }).then === "function" ||
      Symbol.asyncIterator in out
    ) {
      this.handOver(i, element, out, ts);
      return;
    }
    const op = this.ops[i]!;
    const cur = this.cur;
    // Iterating runs the user's generator: its code counts to this step, and its errors name it.
    const previous = syncScope.container;
    syncScope.container = op.metrics;
    try {
      for (const x of out as Iterable<unknown>) {
        if (x instanceof TimestampedValue) {
          if (x.timestamp < ts - op.allowedSkew) op.skewError(x.timestamp, ts);
          this.run(i + 1, x.value, x.timestamp);
        } else {
          this.run(i + 1, x, ts);
        }
        // Back to this step's element for the generator's next value.
        cur.timestamp = ts;
        syncScope.container = op.metrics;
      }
    } catch (err) {
      throw userCodeError(op.label, err, element, cur.window);
    } finally {
      syncScope.container = previous;
    }
  }

  /** Step `i`'s result is one only its operation delivers; from a promise on, the step runs through it. */
  private handOver(i: number, element: unknown, result: unknown, ts: Instant): void {
    const cur = this.cur;
    if (this.ops[i]!.deliverFromChain(this.links[i]!.step, element, result, ts, cur.windows, cur.pane)) {
      this.asyncFrom = Math.min(this.asyncFrom, i);
    }
  }
}

/** What building chains reads of an executor's wiring. */
export interface ChainWiring {
  /** A map, filter or flatMap step that may be chained: its function and its main output. */
  elementWise(op: DoFnOperation): { readonly step: ElementWise; readonly output: string } | undefined;
  consumers(pc: string): readonly Operation[] | undefined;
  receiverOf(pc: string): Receiver;
  /** The check of `pc` between `producer` and `reader`; undefined without --enforceImmutability. */
  edgeCheck(pc: string, producer: string | undefined, reader: string): EdgeCheck | undefined;
}

/**
 * The composed chain from `first` (a map, filter or flatMap step) through every following
 * such step that alone reads its predecessor's output; undefined for other operations.
 */
export function chainFrom(first: Operation, wiring: ChainWiring): ElementWiseChain | undefined {
  let info = first instanceof DoFnOperation ? wiring.elementWise(first) : undefined;
  if (info === undefined) return undefined;
  const links: ChainLink[] = [{ op: first as DoFnOperation, step: info.step, check: undefined }];
  let reader: Operation | undefined;
  for (;;) {
    const readers = wiring.consumers(info.output);
    reader = readers?.length === 1 ? readers[0] : undefined;
    const next = reader instanceof DoFnOperation ? wiring.elementWise(reader) : undefined;
    if (next === undefined) break;
    links.push({ op: reader as DoFnOperation, step: next.step, check: wiring.edgeCheck(info.output, links[links.length - 1]!.op.label, reader!.label) });
    info = next;
  }
  // The last step's output read by one DoFn alone: the chain hands elements to it directly
  // and checks them itself, as that PCollection's receiver would.
  const last = links[links.length - 1]!.op.label;
  const check = reader instanceof DoFnOperation ? wiring.edgeCheck(info.output, last, reader.label) : undefined;
  if (check !== undefined) return new ElementWiseChain(links, reader as DoFnOperation, check);
  // Built already: steps are built from the last, and each builds its outputs' receivers.
  return new ElementWiseChain(links, wiring.receiverOf(info.output));
}
