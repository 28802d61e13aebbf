/**
 * What a DoFn's `process` (or a map function) may return besides nothing: a promise or an
 * async iterable. Used by the transforms that call user functions themselves (map,
 * withExceptionHandling, element timeouts); not part of the package's API.
 */

/** Whether `x` can be awaited. The typeof test first keeps primitives off the property lookup. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

/** Whether `x` is an async iterable (an async generator's result). */
export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}
