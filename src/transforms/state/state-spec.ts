import type { Coder, Instant, ValueWithTimestamp } from "../../model/index.js";
import type { CombineFn } from "../combine-fn.js";

/** One cell of per-key-and-window state, as Beam's ValueState. */
export interface ValueState<T> {
  read(): T | undefined;
  write(value: T): void;
  clear(): void;
  /** A hint that the value will be read soon (Beam's readLater); free here. */
  readLater(): this;
}

/** An unordered collection that is cheap to append to (Beam's BagState). */
export interface BagState<T> {
  read(): readonly T[];
  add(value: T): void;
  isEmpty(): boolean;
  clear(): void;
  readLater(): this;
}

/** A value kept as a CombineFn's accumulator (Beam's CombiningState). */
export interface CombiningState<In, Out> {
  read(): Out;
  add(value: In): void;
  isEmpty(): boolean;
  clear(): void;
  readLater(): this;
}

/** A map per key and window (Beam's MapState). Keys compare like Map keys (SameValueZero). */
export interface MapState<K, V> {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  /** Puts when absent; returns the value now in the map. */
  putIfAbsent(key: K, value: V): V;
  remove(key: K): void;
  keys(): readonly K[];
  values(): readonly V[];
  entries(): readonly (readonly [K, V])[];
  isEmpty(): boolean;
  clear(): void;
  readLater(): this;
}

/** A set per key and window (Beam's SetState). */
export interface SetState<T> {
  has(value: T): boolean;
  /** Adds; returns true when the value was not there before. */
  add(value: T): boolean;
  remove(value: T): void;
  read(): readonly T[];
  isEmpty(): boolean;
  clear(): void;
  readLater(): this;
}

/** Values sorted by a timestamp key (Beam's OrderedListState). Ranges are [from, to). */
export interface OrderedListState<T> {
  add(value: T, sortKey: Instant): void;
  read(): readonly ValueWithTimestamp<T>[];
  readRange(from: Instant, to: Instant): readonly ValueWithTimestamp<T>[];
  clearRange(from: Instant, to: Instant): void;
  isEmpty(): boolean;
  clear(): void;
  readLater(): this;
}

/**
 * How a DoFn declares one piece of state; the runner gives it the matching accessor. The
 * optional coders write the state's contents into checkpoints (docs/FAULT_TOLERANCE.md);
 * without one, the JS value coder is used, which takes plain data and refuses class
 * instances (declare a coder for those). A combining state's accumulators use its
 * CombineFn's `accumulatorCoder`.
 */
export type StateSpec<S> =
  | { readonly kind: "value"; readonly coder?: Coder<unknown>; readonly __state?: S }
  | { readonly kind: "bag"; readonly coder?: Coder<unknown>; readonly __state?: S }
  | { readonly kind: "combining"; readonly combineFn: CombineFn<unknown, unknown, unknown>; readonly __state?: S }
  | { readonly kind: "map"; readonly keyCoder?: Coder<unknown>; readonly valueCoder?: Coder<unknown>; readonly __state?: S }
  | { readonly kind: "set"; readonly coder?: Coder<unknown>; readonly __state?: S }
  | { readonly kind: "orderedList"; readonly coder?: Coder<unknown>; readonly __state?: S };

/**
 * Builders of state declarations for `statefulParDo` DoFns.
 *
 * @example
 * const state = { count: StateSpecs.value<number>(varIntCoder), seen: StateSpecs.set<string>() };
 */
export const StateSpecs = {
  value: <T>(coder?: Coder<T>): StateSpec<ValueState<T>> => ({ kind: "value", coder: coder as Coder<unknown> | undefined }),
  bag: <T>(coder?: Coder<T>): StateSpec<BagState<T>> => ({ kind: "bag", coder: coder as Coder<unknown> | undefined }),
  /** State kept as `combineFn`'s accumulator: `add` folds in inputs, `read` extracts. */
  combining: <In, Acc, Out>(combineFn: CombineFn<In, Acc, Out>): StateSpec<CombiningState<In, Out>> => ({
    kind: "combining",
    combineFn: combineFn as CombineFn<unknown, unknown, unknown>,
  }),
  map: <K, V>(keyCoder?: Coder<K>, valueCoder?: Coder<V>): StateSpec<MapState<K, V>> => ({
    kind: "map",
    keyCoder: keyCoder as Coder<unknown> | undefined,
    valueCoder: valueCoder as Coder<unknown> | undefined,
  }),
  set: <T>(coder?: Coder<T>): StateSpec<SetState<T>> => ({ kind: "set", coder: coder as Coder<unknown> | undefined }),
  orderedList: <T>(coder?: Coder<T>): StateSpec<OrderedListState<T>> => ({ kind: "orderedList", coder: coder as Coder<unknown> | undefined }),
} as const;

/** The time domain of a timer. */
export type TimeDomain = "EVENT_TIME" | "PROCESSING_TIME";

/** A timer of one key and window (Beam's Timer). Setting it again moves it. */
export interface Timer {
  /**
   * Sets the timer to fire at `timestamp` (event time: when the watermark passes it;
   * processing time: when the clock reaches it). `outputTimestamp` is the timestamp of
   * what `onTimer` outputs, and holds the watermark until the timer fires: by default the
   * firing time for event-time timers and the current element's timestamp for
   * processing-time timers.
   */
  set(timestamp: Instant, options?: { readonly outputTimestamp?: Instant }): void;
  /** Processing-time timers: fire `delay` ms after now (Beam's offset(...).setRelative()). */
  setRelative(delay: number, options?: { readonly outputTimestamp?: Instant }): void;
  clear(): void;
}

/** A family of timers told apart by a dynamic tag (Beam's TimerMap). */
export interface TimerFamily {
  get(tag: string): Timer;
}

/** How a DoFn declares a timer or a timer family. */
export type TimerSpec<T> =
  | { readonly kind: "timer"; readonly domain: TimeDomain; readonly __timer?: T }
  | { readonly kind: "timerFamily"; readonly domain: TimeDomain; readonly __timer?: T };

/** Builders of timer declarations for `statefulParDo` DoFns. */
export const TimerSpecs = {
  timer: (domain: TimeDomain): TimerSpec<Timer> => ({ kind: "timer", domain }),
  timerFamily: (domain: TimeDomain): TimerSpec<TimerFamily> => ({ kind: "timerFamily", domain }),
} as const;

/** The accessors a DoFn gets for its declared state. */
export type StateOf<S extends Record<string, StateSpec<unknown>>> = {
  readonly [K in keyof S]: S[K] extends StateSpec<infer A> ? A : never;
};

/** The timers a DoFn gets for its declared timers. */
export type TimersOf<T extends Record<string, TimerSpec<unknown>>> = {
  readonly [K in keyof T]: T[K] extends TimerSpec<infer A> ? A : never;
};
