import type { BoundedWindow, Coder, Instant, KV } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { PTransform, defaultName, type PCollection } from "../../pipeline/index.js";
import { asDeterministic, kvComponents } from "../coder-derivation.js";
import type { DoFnMetrics, ProcessContext, StartBundleContext } from "../do-fn.js";
import { ParDo, type ParDoOptions } from "../par-do.js";
import type { StateOf, StateSpec, TimeDomain, TimerSpec, TimersOf } from "./state-spec.js";

/** Declared state: name to spec. */
export type StateSpecMap = Record<string, StateSpec<unknown>>;
/** Declared timers: name to spec. */
export type TimerSpecMap = Record<string, TimerSpec<unknown>>;

/** What `process` of a stateful DoFn sees: the element's key, its state and timers. */
export interface StatefulProcessContext<K, Out, S extends StateSpecMap, T extends TimerSpecMap> extends ProcessContext<Out> {
  readonly key: K;
  /** State of this key and window. */
  readonly state: StateOf<S>;
  /** Timers of this key and window. */
  readonly timers: TimersOf<T>;
}

/** What an `onTimer` callback sees. Outputs go to the timer's window at its output timestamp. */
export interface OnTimerContext<K, Out, S extends StateSpecMap, T extends TimerSpecMap> {
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
  readonly metrics: DoFnMetrics;
}

/** What `onWindowExpiration` sees: the last chance to read and emit a window's state. */
export interface OnWindowExpirationContext<K, Out, S extends StateSpecMap> {
  readonly key: K;
  readonly window: BoundedWindow;
  readonly state: StateOf<S>;
  /** Emits at the window's max timestamp. */
  output(value: Out): void;
  readonly metrics: DoFnMetrics;
}

/**
 * Beam's stateful DoFn: per key and window it keeps the declared `state` and may set the
 * declared `timers`, whose `onTimer` callbacks run when they fire. Input must be KVs;
 * elements of one key are processed one at a time, in arrival order. State is dropped
 * when the window expires (its end plus the allowed lateness), after
 * `onWindowExpiration`.
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
export interface StatefulDoFn<K, V, Out, S extends StateSpecMap = Record<never, never>, T extends TimerSpecMap = Record<never, never>> {
  readonly state?: S;
  readonly timers?: T;
  setup?(): void | Promise<void>;
  startBundle?(ctx: StartBundleContext): void | Promise<void>;
  process(element: KV<K, V>, ctx: StatefulProcessContext<K, Out, S, T>): void | Promise<void>;
  readonly onTimer?: { readonly [N in keyof T]?: (ctx: OnTimerContext<K, Out, S, T>) => void | Promise<void> };
  onWindowExpiration?(ctx: OnWindowExpirationContext<K, Out, S>): void | Promise<void>;
  finishBundle?(ctx: { readonly metrics: DoFnMetrics }): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

/** True when a DoFn declares state or timers (and so needs statefulParDo). */
export function isStatefulDoFn(fn: object): boolean {
  const f = fn as { state?: unknown; timers?: unknown; onTimer?: unknown; onWindowExpiration?: unknown };
  return f.state !== undefined || f.timers !== undefined || f.onTimer !== undefined || f.onWindowExpiration !== undefined;
}

/**
 * Beam's stateful ParDo. The input must be a PCollection of KVs (other inputs do not
 * compile) with a deterministic key coder; every declared timer needs its `onTimer`
 * callback.
 *
 * @example
 * const firstPerUser = clicks.apply(statefulParDo(dedup));
 */
export function statefulParDo<K, V, Out, S extends StateSpecMap = Record<never, never>, T extends TimerSpecMap = Record<never, never>>(
  fn: StatefulDoFn<K, V, Out, S, T>,
  options: Omit<ParDoOptions, "maxConcurrency"> = {},
): PTransform<PCollection<KV<K, V>>, PCollection<Out>> {
  return new StatefulParDo<K, V, Out>(fn as unknown as StatefulDoFn<K, V, Out>, options, defaultName("StatefulParDo", undefined));
}

class StatefulParDo<K, V, Out> extends PTransform<PCollection<KV<K, V>>, PCollection<Out>> {
  constructor(
    private readonly fn: StatefulDoFn<K, V, Out>,
    private readonly options: Omit<ParDoOptions, "maxConcurrency">,
    name: string,
  ) {
    super(name);
  }
  expand(input: PCollection<KV<K, V>>): PCollection<Out> {
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
    if ((this.options.sideInputs ?? []).length > 0) {
      throw new ConstructionError(`${label}: side inputs on a stateful DoFn are not supported yet; read them in a ParDo before it.`);
    }
    // Keys must be comparable by their encoding, as for GroupByKey.
    const [keyCoder] = kvComponents(input.coder as Coder<KV<unknown, unknown>>);
    asDeterministic(keyCoder, label);
    // One call at a time per bundle keeps each key's elements in arrival order.
    return new ParDo(fn as never, { ...this.options, maxConcurrency: 1 }, this.name, true).expand(input as never) as PCollection<Out>;
  }
}
