import type { BoundedWindow, Coder, Instant, PaneInfo, WindowedValue } from "../../model/index.js";
import { DoFnOperation, type Receiver } from "../../runtime/index.js";
import { mutationError, snapshot, unchanged } from "./mutation-detector.js";
import type { Sink } from "./sinks.js";

/**
 * Elements of each PCollection checked in full before sampling starts: every element of a
 * test or a small job, and the first bundles of a large one, where a DoFn that changes its
 * input or reuses an output object does so on every element.
 */
export const CHECK_ALL_FIRST = 10_000;
/**
 * Or fewer, once their encodings add up to this many bytes: a GroupByKey's output has few
 * elements, each as large as its group.
 */
export const CHECK_ALL_BYTES = 2 ** 20;
/** After that, one element in this many is checked. */
export const CHECK_ONE_IN = 100;
/**
 * Checked elements a bundle keeps to check again at its end. Past this, elements are still
 * checked after each reader's call, but not kept: a bundle of millions would otherwise hold
 * tens of thousands of encodings to its end, which the garbage collector copies into the old
 * generation (enforcement then cost about half of a map→filter job's time). Kept elements
 * survive every young collection of their bundle, and when most objects of an allocation
 * site survive V8 allocates the site's later objects in the old generation (pretenuring),
 * which makes every young object they point at survive too: 10,000 kept elements of a
 * fan-out bundle (a Create or a flatMap of 400,000 objects) doubled the job's CPU time
 * against 1,000. A DoFn that changes its outputs later (one object reused for every output)
 * does so from its first bundle's first elements, which are kept.
 */
export const MAX_KEPT_PER_BUNDLE = 1000;

/** Which elements of one PCollection (or step) are checked. */
export class Sampler {
  private seen = 0;
  private bytes = 0;
  private sampling = false;
  next(): boolean {
    const n = this.seen++;
    return !this.sampling || n % CHECK_ONE_IN === 0;
  }
  /** Counts a checked element's encoding. */
  checked(bytes: number): void {
    this.bytes += bytes;
    if (this.seen >= CHECK_ALL_FIRST || this.bytes >= CHECK_ALL_BYTES) this.sampling = true;
  }
}

/** A checked element: its encoding when it was output (or read), and who had it. */
interface Watched {
  readonly coder: Coder<unknown>;
  readonly value: unknown;
  readonly before: Uint8Array;
  /** The DoFn step that output it (undefined: a runner step or a source). */
  readonly producer: string | undefined;
  /** The DoFn steps that read it. */
  readonly readers: readonly string[];
}

/**
 * Beam DirectRunner's immutability enforcement (ImmutabilityEnforcementFactory for inputs,
 * ImmutabilityCheckingBundleFactory for outputs) for fused stages. A DoFn step's input is
 * checked right after the call that read it (so the step that changed it is named), and
 * every checked element is checked again when the bundle finishes, before anything commits:
 * that catches a DoFn that changes a value after `ctx.output`, or an input later in the bundle
 * (asynchronously, in finishBundle). One journal serves an executor: it runs one bundle at a
 * time. It sits last in every stage's operations, so its finishBundle runs after every other.
 *
 * @example
 * const journal = new ImmutabilityJournal();
 * const receiver = new ImmutabilityCheckingReceiver(coder, consumers, "Parse", journal);
 * // bundle: journal.startBundle(); receiver.receive(wv) …; journal.finishBundle() throws on a change
 */
export class ImmutabilityJournal implements Sink {
  readonly label = "ImmutabilityCheck";
  private watched: Watched[] = [];
  private entry: { step: string; coder: Coder<unknown>; elements: readonly WindowedValue<unknown>[] } | undefined;
  private readonly entrySamplers = new Map<string, Sampler>();

  /**
   * The elements the next bundle hands to a DoFn step directly (a stage whose entry is the
   * step: a ParDo's pushed-back main input); undefined for other stages.
   */
  expectEntry(entry: { step: string; coder: Coder<unknown>; elements: readonly WindowedValue<unknown>[] } | undefined): void {
    this.entry = entry;
  }

  startBundle(): void {
    this.watched = [];
    const entry = this.entry;
    if (entry === undefined) return;
    let sampler = this.entrySamplers.get(entry.step);
    if (sampler === undefined) this.entrySamplers.set(entry.step, (sampler = new Sampler()));
    for (const wv of entry.elements) {
      if (!sampler.next()) continue;
      const before = snapshot(entry.coder, wv.value);
      if (before !== undefined) sampler.checked(before.length);
      if (before !== undefined) this.watched.push({ coder: entry.coder, value: wv.value, before, producer: undefined, readers: [entry.step] });
    }
  }

  /** Records a checked element to verify again when the bundle finishes (up to MAX_KEPT_PER_BUNDLE). */
  watch(w: Watched): void {
    if (this.watched.length < MAX_KEPT_PER_BUNDLE) this.watched.push(w);
  }

  receive(): void {}

  finishBundle(): void {
    for (const w of this.watched) {
      if (unchanged(w.coder, w.value, w.before)) continue;
      const mutation =
        w.producer !== undefined
          ? { kind: "output" as const, step: w.producer, readers: w.readers }
          : { kind: "input" as const, step: w.readers.join(" or ") };
      throw mutationError(mutation, w.coder, w.value, w.before);
    }
  }

  commit(): void {
    this.watched = [];
    this.entry = undefined;
  }

  abort(): void {
    this.watched = [];
  }
}

/**
 * The receiver of a PCollection under --enforceImmutability: `fanOut` to its fused
 * consumers, and for checked elements, the element's encoding before the first consumer,
 * compared after each DoFn consumer's call (naming that step) and again at the bundle's end.
 *
 * @example
 * // in place of fanOut(consumers) for a PCollection that the DoFn step "Parse" outputs
 * const receiver = new ImmutabilityCheckingReceiver(coder, consumers, "Parse", journal);
 */
export class ImmutabilityCheckingReceiver implements Receiver {
  private readonly sampler = new Sampler();
  /** False once the coder failed to encode an element: such values cannot be checked. */
  private encodable = true;
  private readonly readers: readonly string[];

  /**
   * `producer`: the DoFn step that outputs this PCollection (undefined for other steps).
   * `readerOf(target)`: the DoFn step whose code a target runs first (its own label, or a
   * composed chain's first step), undefined for targets that run no user code.
   */
  constructor(
    private readonly coder: Coder<unknown>,
    private readonly targets: readonly Receiver[],
    private readonly producer: string | undefined,
    private readonly journal: ImmutabilityJournal,
    private readonly readerLabels: readonly (string | undefined)[] = targets.map((t) => (t instanceof DoFnOperation ? t.label : undefined)),
  ) {
    this.readers = readerLabels.filter((l): l is string => l !== undefined);
  }

  receive(wv: WindowedValue<unknown>): void {
    this.deliver(wv.value, wv.timestamp, wv.windows, wv.pane, wv);
  }

  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.deliver(value, timestamp, windows, pane, undefined);
  }

  private deliver(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo, wv: WindowedValue<unknown> | undefined): void {
    let before: Uint8Array | undefined;
    if (this.encodable && this.sampler.next()) {
      before = snapshot(this.coder, value);
      if (before === undefined) this.encodable = false;
      else this.sampler.checked(before.length);
    }
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (target.receiveParts !== undefined) target.receiveParts(value, timestamp, windows, pane);
      else target.receive((wv ??= { value, timestamp, windows, pane }));
      const reader = this.readerLabels[i];
      if (before !== undefined && reader !== undefined && !unchanged(this.coder, value, before)) {
        throw mutationError({ kind: "input", step: reader }, this.coder, value, before);
      }
    }
    if (before !== undefined && (this.producer !== undefined || this.readers.length > 0)) {
      this.journal.watch({ coder: this.coder, value, before, producer: this.producer, readers: this.readers });
    }
  }
}

/**
 * The same checks for one edge inside a composed chain of element-wise steps
 * (element-wise-chain.ts), where no receiver sits between the producing step and its one
 * reader: `before` takes the encoding of the elements checked, `after` compares it once
 * the reader's call returned (naming the reader) and leaves it to the journal for the
 * bundle's end.
 */
export class EdgeCheck {
  private readonly sampler = new Sampler();
  private encodable = true;

  /** `producer`: the DoFn step that outputs the elements (undefined: a runner step or a source). */
  constructor(
    private readonly coder: Coder<unknown>,
    private readonly producer: string | undefined,
    private readonly reader: string,
    private readonly journal: ImmutabilityJournal,
  ) {}

  /** The element's encoding when this element is checked; undefined when it is not. */
  before(value: unknown): Uint8Array | undefined {
    if (!this.encodable || !this.sampler.next()) return undefined;
    const before = snapshot(this.coder, value);
    if (before === undefined) this.encodable = false;
    else this.sampler.checked(before.length);
    return before;
  }

  after(value: unknown, before: Uint8Array): void {
    if (!unchanged(this.coder, value, before)) throw mutationError({ kind: "input", step: this.reader }, this.coder, value, before);
    this.journal.watch({ coder: this.coder, value, before, producer: this.producer, readers: [this.reader] });
  }
}
