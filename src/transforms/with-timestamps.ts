import type { Instant } from "../model/index.js";
import { ConstructionError, describeValue } from "../model/index.js";
import { defaultName, ptransform, type PCollection, type PTransform } from "../pipeline/index.js";
import type { DoFn, ProcessContext } from "./do-fn.js";
import { parDo } from "./par-do.js";

class WithTimestampsDoFn<T> implements DoFn<T, T> {
  constructor(readonly fn: (element: T) => Instant | Date) {}
  process(element: T, ctx: ProcessContext<T>): void {
    const t = this.fn(element);
    const ms = t instanceof Date ? t.getTime() : t;
    if (typeof ms !== "number" || !Number.isFinite(ms)) {
      throw new ConstructionError(
        `withTimestamps: the timestamp function returned ${describeValue(t)} for ${describeValue(element)}; ` +
          `return milliseconds since the epoch or a Date.`,
      );
    }
    ctx.outputWithTimestamp(element, ms);
  }
}

/**
 * Sets each element's event timestamp from the element (milliseconds or a Date). Beam's
 * WithTimestamps: a timestamp may not be earlier than the element's current one (elements
 * from `create` start at the minimum, so any is fine there) unless `allowedTimestampSkew`
 * says how much earlier it may be.
 *
 * @example events.apply(withTimestamps((e) => e.time))
 */
export function withTimestamps<T>(
  fn: (element: T) => Instant | Date,
  options: { readonly allowedTimestampSkew?: number } = {},
): PTransform<PCollection<T>, PCollection<T>> {
  const inner = parDo(new WithTimestampsDoFn(fn), { allowedTimestampSkew: options.allowedTimestampSkew ?? 0 });
  return ptransform(defaultName("WithTimestamps", fn), (input: PCollection<T>) => inner.expand(input).withCoder(input.coder));
}
