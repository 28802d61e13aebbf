import { ptransform, defaultName, type PCollection, type PTransform } from "../pipeline/index.js";
import type { DoFn, ProcessContext } from "./do-fn.js";
import { parDo, type ParDoOptions } from "./par-do.js";

/** Anything that may be awaited or not. */
export type MaybePromise<T> = T | Promise<T>;

function isThenable(x: unknown): x is PromiseLike<unknown> {
  // The typeof test first keeps primitives (the common result) off the property lookup.
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

/** A DoFn that applies a function; `fn` is a field so the fingerprint sees its source. */
class MapDoFn<In, Out> implements DoFn<In, Out> {
  constructor(readonly fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Out>) {}
  process(element: In, ctx: ProcessContext<Out>): void | Promise<void> {
    const out = this.fn(element, ctx);
    if (isThenable(out)) return Promise.resolve(out).then((v) => ctx.output(v));
    ctx.output(out);
  }
}

/**
 * One output per element. An async function is awaited (with bounded concurrency).
 *
 * @example lines.apply(map((line: string) => line.length))
 */
export function map<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Out>,
  options?: ParDoOptions,
): PTransform<PCollection<In>, PCollection<Out>> {
  return named(defaultName("Map", fn), parDo(new MapDoFn(fn), options));
}

class FlatMapDoFn<In, Out> implements DoFn<In, Out> {
  constructor(readonly fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Iterable<Out>> | AsyncIterable<Out>) {}
  process(element: In, ctx: ProcessContext<Out>): void | Promise<void> {
    const out = this.fn(element, ctx);
    if (isThenable(out)) {
      return Promise.resolve(out).then((values) => {
        for (const v of values) ctx.output(v);
      });
    }
    if (Symbol.asyncIterator in (out as object)) {
      return (async () => {
        for await (const v of out as AsyncIterable<Out>) ctx.output(v);
      })();
    }
    for (const v of out as Iterable<Out>) ctx.output(v);
  }
}

/**
 * Zero or more outputs per element, from an iterable, a promise of one, or an async iterable.
 *
 * @example lines.apply(flatMap((line: string) => line.split(" ")))
 */
export function flatMap<In, Out>(
  fn: (element: In, ctx: ProcessContext<Out>) => MaybePromise<Iterable<Out>> | AsyncIterable<Out>,
  options?: ParDoOptions,
): PTransform<PCollection<In>, PCollection<Out>> {
  return named(defaultName("FlatMap", fn), parDo(new FlatMapDoFn(fn), options));
}

class FilterDoFn<T> implements DoFn<T, T> {
  constructor(readonly fn: (element: T, ctx: ProcessContext<T>) => MaybePromise<boolean>) {}
  process(element: T, ctx: ProcessContext<T>): void | Promise<void> {
    const keep = this.fn(element, ctx);
    if (isThenable(keep)) {
      return Promise.resolve(keep).then((k) => {
        if (k) ctx.output(element);
      });
    }
    if (keep) ctx.output(element);
  }
}

/**
 * Keeps the elements for which `predicate` is true. A type guard narrows the output type.
 *
 * @example nums.apply(filter((n: number) => n % 2 === 0))
 */
export function filter<T, S extends T>(predicate: (element: T) => element is S): PTransform<PCollection<T>, PCollection<S>>;
export function filter<T>(
  predicate: (element: T, ctx: ProcessContext<T>) => MaybePromise<boolean>,
  options?: ParDoOptions,
): PTransform<PCollection<T>, PCollection<T>>;
export function filter<T>(
  predicate: (element: T, ctx: ProcessContext<T>) => MaybePromise<boolean>,
  options?: ParDoOptions,
): PTransform<PCollection<T>, PCollection<T>> {
  return named(defaultName("Filter", predicate), parDo(new FilterDoFn(predicate), options));
}

/** Gives a transform another default name; the primitive inside records on this node. */
export function named<In extends PCollection<unknown>, Out extends PCollection<unknown>>(
  name: string,
  inner: PTransform<In, Out>,
): PTransform<In, Out> {
  return ptransform(name, (input: In) => inner.expand(input));
}
