import { TimestampedValue } from "../model/index.js";
import { ptransform, defaultName, type PCollection, type PTransform } from "../pipeline/index.js";
import type { DoFn, ProcessContext } from "./do-fn.js";
import { ParDo, type ParDoOptions, type ParDoTransform } from "./par-do.js";
import { isThenable } from "./promise-like.js";
import { ELEMENT_WISE, type ElementWise } from "./element-wise.js";

/** Anything that may be awaited or not. */
export type MaybePromise<T> = T | Promise<T>;

/** A value a map/flatMap function returns: the output, or the output with its event time. */
export type MapResult<Out> = Out | TimestampedValue<Out>;

/** Outputs `v`, at its own timestamp when it is a TimestampedValue. */
function emit<Out>(ctx: ProcessContext<Out>, v: MapResult<Out>): void {
  if (v instanceof TimestampedValue) ctx.outputWithTimestamp(v.value as Out, v.timestamp);
  else ctx.output(v);
}

/** What map's `process` does with its function's result. */
function deliverMapped<Out>(out: MaybePromise<MapResult<Out>>, ctx: ProcessContext<Out>): void | Promise<void> {
  if (isThenable(out)) return Promise.resolve(out).then((v) => emit(ctx, v));
  emit(ctx, out);
}

/** A DoFn that applies a function; `fn` is a field so the fingerprint sees its source. */
class MapDoFn<In, Out> implements DoFn<In, Out> {
  constructor(readonly fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<MapResult<Out>>) {}
  process(element: In, ctx: ProcessContext<Out>): void | Promise<void> {
    return deliverMapped(this.fn(element, ctx), ctx);
  }
  [ELEMENT_WISE](): ElementWise {
    return { kind: "map", fn: this.fn as ElementWise["fn"], deliver: (_e, out, ctx) => deliverMapped(out as MaybePromise<unknown>, ctx) };
  }
}

/**
 * One output per element. An async function is awaited (with bounded concurrency). A
 * function that returns `timestamped(value, t)` outputs the value at event time `t` (as
 * Beam Python's Map returning a TimestampedValue).
 *
 * @example lines.apply(map((line: string) => line.length))
 * @example events.apply(map((e: Event) => timestamped(e, e.at)))
 */
export function map<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<TimestampedValue<Out>>,
  options?: ParDoOptions,
): ParDoTransform<In, PCollection<Out>>;
export function map<In, Out>(fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Out>, options?: ParDoOptions): ParDoTransform<In, PCollection<Out>>;
export function map<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<MapResult<Out>>,
  options?: ParDoOptions,
): ParDoTransform<In, PCollection<Out>> {
  return asParDo(new MapDoFn(fn), options, defaultName("Map", fn));
}

/** What flatMap's `process` does with its function's result. */
function deliverFlatMapped<Out>(
  out: MaybePromise<Iterable<MapResult<Out>>> | AsyncIterable<MapResult<Out>>,
  ctx: ProcessContext<Out>,
): void | Promise<void> {
  if (isThenable(out)) {
    return Promise.resolve(out).then((values) => {
      for (const v of values) emit(ctx, v);
    });
  }
  if (Symbol.asyncIterator in (out as object)) {
    return (async () => {
      for await (const v of out as AsyncIterable<MapResult<Out>>) emit(ctx, v);
    })();
  }
  for (const v of out as Iterable<MapResult<Out>>) emit(ctx, v);
}

class FlatMapDoFn<In, Out> implements DoFn<In, Out> {
  constructor(readonly fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Iterable<MapResult<Out>>> | AsyncIterable<MapResult<Out>>) {}
  process(element: In, ctx: ProcessContext<Out>): void | Promise<void> {
    return deliverFlatMapped(this.fn(element, ctx), ctx);
  }
  [ELEMENT_WISE](): ElementWise {
    return { kind: "flatMap", fn: this.fn as ElementWise["fn"], deliver: (_e, out, ctx) => deliverFlatMapped(out as Iterable<unknown>, ctx) };
  }
}

/**
 * Zero or more outputs per element, from an iterable, a promise of one, or an async
 * iterable. Outputs given as `timestamped(value, t)` go out at event time `t`.
 *
 * @example lines.apply(flatMap((line: string) => line.split(" ")))
 */
export function flatMap<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Iterable<TimestampedValue<Out>>> | AsyncIterable<TimestampedValue<Out>>,
  options?: ParDoOptions,
): ParDoTransform<In, PCollection<Out>>;
export function flatMap<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Iterable<Out>> | AsyncIterable<Out>,
  options?: ParDoOptions,
): ParDoTransform<In, PCollection<Out>>;
export function flatMap<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Iterable<MapResult<Out>>> | AsyncIterable<MapResult<Out>>,
  options?: ParDoOptions,
): ParDoTransform<In, PCollection<Out>> {
  return asParDo(new FlatMapDoFn(fn), options, defaultName("FlatMap", fn));
}

/** What filter's `process` does with its predicate's result. */
function deliverKept<T>(element: T, keep: MaybePromise<boolean>, ctx: ProcessContext<T>): void | Promise<void> {
  if (isThenable(keep)) {
    return Promise.resolve(keep).then((k) => {
      if (k) ctx.output(element);
    });
  }
  if (keep) ctx.output(element);
}

class FilterDoFn<T> implements DoFn<T, T> {
  constructor(readonly fn: (element: T, ctx: ProcessContext<T>) => MaybePromise<boolean>) {}
  process(element: T, ctx: ProcessContext<T>): void | Promise<void> {
    return deliverKept(element, this.fn(element, ctx), ctx);
  }
  [ELEMENT_WISE](): ElementWise {
    return { kind: "filter", fn: this.fn as ElementWise["fn"], deliver: (e, keep, ctx) => deliverKept(e, keep as MaybePromise<boolean>, ctx) };
  }
}


/**
 * Keeps the elements for which `predicate` is true. A type guard narrows the output type.
 *
 * @example nums.apply(filter((n) => n % 2 === 0))
 */
export function filter<T, S extends T>(predicate: (element: T) => element is S): ParDoTransform<T, PCollection<S>>;
export function filter<T>(
  predicate: (element: T, ctx: ProcessContext<T>) => MaybePromise<boolean>,
  options?: ParDoOptions,
): ParDoTransform<T, PCollection<T>>;
export function filter<T>(
  predicate: (element: T, ctx: ProcessContext<T>) => MaybePromise<boolean>,
  options?: ParDoOptions,
): ParDoTransform<T, PCollection<T>> {
  return asParDo(new FilterDoFn(predicate), options, defaultName("Filter", predicate));
}

/** A ParDo of `doFn` under the name map, flatMap or filter gives it. */
function asParDo<In, Out>(doFn: DoFn<In, Out>, options: ParDoOptions | undefined, name: string): ParDoTransform<In, PCollection<Out>> {
  return new ParDo<In, Out>(doFn, options ?? {}, name) as unknown as ParDoTransform<In, PCollection<Out>>;
}

/** Gives a transform another default name; the primitive inside records on this node. */
export function named<In extends PCollection<unknown>, Out extends PCollection<unknown>>(
  name: string,
  inner: PTransform<In, Out>,
): PTransform<In, Out> {
  return ptransform(name, (input: In) => inner.expand(input));
}
