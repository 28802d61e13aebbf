import type { Coder, ValueWithTimestamp } from "../model/index.js";
import { TimestampedValue } from "../model/index.js";
import { PTransform, ptransform, type PBegin, type PCollection } from "../pipeline/index.js";
import { inferCoder } from "../coders/index.js";
import { impulse } from "./impulse.js";
import { parDo } from "./par-do.js";
import type { DoFn } from "./do-fn.js";

/** Emits a fixed list of values; `values` is a field so the fingerprint sees them. */
class CreateDoFn<T> implements DoFn<Uint8Array, T> {
  constructor(readonly values: readonly T[]) {}
  process(_impulse: Uint8Array, ctx: { output(v: T): void }): void {
    // Indexed, not for…of: this loop runs once per job, mostly before V8 optimizes it, and an
    // unoptimized for…of allocates an iterator result per element.
    const values = this.values;
    for (let i = 0; i < values.length; i++) ctx.output(values[i]!);
  }
}

/**
 * A PCollection of the given values, in the global window. The coder is inferred from
 * the values (strings, integers, booleans, bytes, KVs of those; the JS value coder
 * otherwise) unless `coder` is given.
 *
 * @example const words = p.apply(create(["a", "b", "a"]));
 */
export function create<T>(values: Iterable<T>, options?: { coder?: Coder<T> }): PTransform<PBegin, PCollection<T>> {
  const array = [...values];
  return new Create<T>(array, options?.coder ?? (inferCoder(array) as Coder<T>));
}

class Create<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(
    private readonly values: readonly T[],
    private readonly coder: Coder<T>,
  ) {
    super("Create");
  }
  expand(input: PBegin): PCollection<T> {
    return input
      .apply("Impulse", impulse())
      .apply("Values", parDo(new CreateDoFn(this.values)))
      .withCoder(this.coder);
  }
}

/** Emits fixed values, each at its own timestamp. */
class CreateTimestampedDoFn<T> implements DoFn<Uint8Array, T> {
  constructor(readonly values: readonly ValueWithTimestamp<T>[]) {}
  process(_impulse: Uint8Array, ctx: { outputWithTimestamp(v: T, t: number): void }): void {
    const values = this.values;
    for (let i = 0; i < values.length; i++) ctx.outputWithTimestamp(values[i]!.value, values[i]!.timestamp);
  }
}

/**
 * A PCollection of the given values, each at its event timestamp, in the global window
 * (Beam's `Create.timestamped`): for tests and small jobs that need event time without a
 * parDo. Values are `timestamped(value, t)` or plain `{ value, timestamp }` objects; the
 * coder is inferred from the values unless `coder` is given.
 *
 * @example
 * const clicks = p.apply(createTimestamped([timestamped("home", 1_000), timestamped("cart", 61_000)]));
 */
export function createTimestamped<T>(values: Iterable<ValueWithTimestamp<T>>, options?: { coder?: Coder<T> }): PTransform<PBegin, PCollection<T>> {
  // Validated here, at construction, as TimestampedValue validates its timestamp.
  const array = [...values].map((v) => (v instanceof TimestampedValue ? v : new TimestampedValue(v.value, v.timestamp)));
  const coder = options?.coder ?? (inferCoder(array.map((v) => v.value)) as Coder<T>);
  return ptransform("CreateTimestamped", (input: PBegin) =>
    input
      .apply("Impulse", impulse())
      .apply("Values", parDo(new CreateTimestampedDoFn(array)))
      .withCoder(coder),
  );
}
