import type { BoundedWindow, Coder, Instant, KV } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { PTransform, defaultName, type PCollection } from "../../pipeline/index.js";
import { asDeterministic, kvComponents } from "../coder-derivation.js";
import type { DoFnMetrics, OutputTags, ProcessContext, StartBundleContext } from "../do-fn.js";
import { ParDo, type ParDoOptions, type TaggedOutputs } from "../par-do.js";
import type { PCollectionView } from "../side-input-view.js";
import type { StateOf, StateSpec, TimeDomain, TimerSpec, TimersOf } from "./state-spec.js";

/** Declared state: name to spec. */
export type StateSpecMap = Record<string, StateSpec<unknown>>;
/** Declared timers: name to spec. */
export type TimerSpecMap = Record<string, TimerSpec<unknown>>;

/**
 * What `process` of a stateful DoFn sees: the element's key, its state and timers, besides
 * what a ParDo's `process` sees (tagged outputs with `outputTo`, side inputs with
 * `sideInput`, both declared in `statefulParDo(fn, { outputs, sideInputs })`).
 */
export interface StatefulProcessContext<K, Out, S extends StateSpecMap, T extends TimerSpecMap, Tags extends OutputTags = Record<never, never>>
  extends ProcessContext<Out, Tags> {
  readonly key: K;
  /** State of this key and window. */
  readonly state: StateOf<S>;
  /** Timers of this key and window. */
  readonly timers: TimersOf<T>;
}

/** What an `onTimer` callback sees. Outputs go to the timer's window at its output timestamp. */
export interface OnTimerContext<K, Out, S extends StateSpecMap, T extends TimerSpecMap, Tags extends OutputTags = Record<never, never>> {
  readonly key: K;
  readonly window: BoundedWindow;
  /** The time the timer was set for. */
  readonly fireTimestamp: Instant;
  /** The timestamp outputs get: the timer's output timestamp. */
  readonly timestamp: Instant;
  readonly timeDomain: TimeDomain;
  /** The dynamic tag of a timer-family timer; the timer's name otherwise. */
  readonly timerId: string;
  readonly state: StateOf<S>;
  readonly timers: TimersOf<T>;
  output(value: Out): void;
  outputWithTimestamp(value: Out, timestamp: Instant): void;
  /** Emits to a tagged output declared in `statefulParDo(fn, { outputs: [...] })`, at the timer's output timestamp. */
  outputTo<N extends keyof Tags & string>(tag: N, value: Tags[N]): void;
  /**
   * Reads a side input declared in `statefulParDo(fn, { sideInputs: [...] })`, for the
   * timer's window. A beam-ts extension: Beam Java's @OnTimer takes no @SideInput and
   * Python's timer callbacks get none. It is always ready: the timer belongs to a window
   * whose elements waited for their side inputs.
   */
  sideInput<V>(view: PCollectionView<V>): V;
  readonly metrics: DoFnMetrics;
}

/** What `onWindowExpiration` sees: the last chance to read and emit a window's state. */
export interface OnWindowExpirationContext<K, Out, S extends StateSpecMap, Tags extends OutputTags = Record<never, never>> {
  readonly key: K;
  readonly window: BoundedWindow;
  readonly state: StateOf<S>;
  /** Emits at the window's max timestamp. */
  output(value: Out): void;
  /** Emits to a tagged output declared in `statefulParDo(fn, { outputs: [...] })`, at the window's max timestamp. */
  outputTo<N extends keyof Tags & string>(tag: N, value: Tags[N]): void;
  /** Reads a side input for the expiring window (a beam-ts extension, as in OnTimerContext). */
  sideInput<V>(view: PCollectionView<V>): V;
  readonly metrics: DoFnMetrics;
}

/**
 * Beam's stateful DoFn: per key and window it keeps the declared `state` and may set the
 * declared `timers`, whose `onTimer` callbacks run when they fire. Input must be KVs;
 * elements of one key are processed one at a time, in arrival order. State is dropped
 * when the window expires (its end plus the allowed lateness), after
 * `onWindowExpiration`. `Tags` types the tagged outputs (`ctx.outputTo`) of `process`,
 * `onTimer` and `onWindowExpiration`.
 *
 * @example
 * const dedup: StatefulDoFn<string, Event, Event, { seen: StateSpec<ValueState<boolean>> }> = {
 *   state: { seen: StateSpecs.value<boolean>() },
 *   process(e, ctx) {
 *     if (ctx.state.seen.read()) return;
 *     ctx.state.seen.write(true);
 *     ctx.output(e.value);
 *   },
 * };
 */
export interface StatefulDoFn<
  K,
  V,
  Out,
  S extends StateSpecMap = Record<never, never>,
  T extends TimerSpecMap = Record<never, never>,
  Tags extends OutputTags = Record<never, never>,
> {
  readonly state?: S;
  readonly timers?: T;
  setup?(): void | Promise<void>;
  startBundle?(ctx: StartBundleContext): void | Promise<void>;
  process(element: KV<K, V>, ctx: StatefulProcessContext<K, Out, S, T, Tags>): void | Promise<void>;
  readonly onTimer?: { readonly [N in keyof T]?: (ctx: OnTimerContext<K, Out, S, T, Tags>) => void | Promise<void> };
  onWindowExpiration?(ctx: OnWindowExpirationContext<K, Out, S, Tags>): void | Promise<void>;
  finishBundle?(ctx: { readonly metrics: DoFnMetrics }): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

/** True when a DoFn declares state or timers (and so needs statefulParDo). */
export function isStatefulDoFn(fn: object): boolean {
  const f = fn as { state?: unknown; timers?: unknown; onTimer?: unknown; onWindowExpiration?: unknown };
  return f.state !== undefined || f.timers !== undefined || f.onTimer !== undefined || f.onWindowExpiration !== undefined;
}

/** Options of a stateful ParDo: a ParDo's, but one call at a time (no `maxConcurrency`). */
export type StatefulParDoOptions = Omit<ParDoOptions, "maxConcurrency">;

/**
 * Beam's stateful ParDo. The input must be a PCollection of KVs (other inputs do not
 * compile) with a deterministic key coder; every declared timer needs its `onTimer`
 * callback. Side inputs (`sideInputs`) are read as in a ParDo: an element waits until
 * they are ready for its window.
 *
 * @example
 * const firstPerUser = clicks.apply(statefulParDo(dedup));
 */
export function statefulParDo<K, V, Out, S extends StateSpecMap = Record<never, never>, T extends TimerSpecMap = Record<never, never>>(
  fn: StatefulDoFn<K, V, Out, S, T>,
  options?: StatefulParDoOptions,
): PTransform<PCollection<KV<K, V>>, PCollection<Out>>;
/**
 * A stateful ParDo with tagged outputs: declare the tags, emit with `ctx.outputTo(tag, value)`
 * from `process`, `onTimer` or `onWindowExpiration`, and get `{ main, ...tags }` back.
 *
 * @example
 * const { main, deadLetter } = orders.apply(
 *   statefulParDo<string, Order, Total, Specs, Record<never, never>, { deadLetter: Order }>(totals, { outputs: ["deadLetter"] }),
 * );
 */
export function statefulParDo<K, V, Out, S extends StateSpecMap, T extends TimerSpecMap, Tags extends OutputTags>(
  fn: StatefulDoFn<K, V, Out, S, T, Tags>,
  options: StatefulParDoOptions & { readonly outputs: readonly (keyof Tags & string)[] },
): PTransform<PCollection<KV<K, V>>, TaggedOutputs<Out, Tags>>;
export function statefulParDo<K, V, Out, S extends StateSpecMap, T extends TimerSpecMap, Tags extends OutputTags>(
  fn: StatefulDoFn<K, V, Out, S, T, Tags>,
  options: StatefulParDoOptions & { readonly outputs?: readonly (keyof Tags & string)[] } = {},
): PTransform<PCollection<KV<K, V>>, PCollection<Out> | TaggedOutputs<Out, Tags>> {
  return new StatefulParDo<K, V, Out>(fn as unknown as StatefulDoFn<K, V, Out>, options, defaultName("StatefulParDo", undefined)) as unknown as PTransform<
    PCollection<KV<K, V>>,
    PCollection<Out> | TaggedOutputs<Out, Tags>
  >;
}

class StatefulParDo<K, V, Out> extends PTransform<PCollection<KV<K, V>>, PCollection<Out> | TaggedOutputs<Out, OutputTags>> {
  constructor(
    private readonly fn: StatefulDoFn<K, V, Out>,
    private readonly options: StatefulParDoOptions & { readonly outputs?: readonly string[] },
    name: string,
  ) {
    super(name);
  }
  expand(input: PCollection<KV<K, V>>): PCollection<Out> | TaggedOutputs<Out, OutputTags> {
    const label = input.pipeline.currentLabel();
    const fn = this.fn as StatefulDoFn<K, V, Out, StateSpecMap, TimerSpecMap>;
    if (typeof fn?.process !== "function") {
      throw new ConstructionError(`statefulParDo needs a DoFn with process(element, ctx); got ${String(fn)}.`);
    }
    for (const name of Object.keys(fn.timers ?? {})) {
      if (typeof fn.onTimer?.[name] !== "function") {
        throw new ConstructionError(`${label}: timer "${name}" is declared but onTimer.${name}(ctx) is missing; add it.`);
      }
    }
    for (const name of Object.keys(fn.onTimer ?? {})) {
      if (fn.timers?.[name] === undefined) {
        throw new ConstructionError(`${label}: onTimer.${name} has no timer declared; add timers: { ${name}: TimerSpecs.timer(...) }.`);
      }
    }
    // Keys must be comparable by their encoding, as for GroupByKey.
    const [keyCoder] = kvComponents(input.coder as Coder<KV<unknown, unknown>>);
    asDeterministic(keyCoder, label);
    // One call at a time per bundle keeps each key's elements in arrival order. Side inputs
    // and tagged outputs are the ParDo's (checked and declared there).
    return new ParDo(fn as never, { ...this.options, maxConcurrency: 1 }, this.name, true).expand(input as never) as
      | PCollection<Out>
      | TaggedOutputs<Out, OutputTags>;
  }
}
