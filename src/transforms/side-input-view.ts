import type { Coder } from "../model/index.js";
import { ConstructionError, describeValue, type KV } from "../model/index.js";
import type { PCollection } from "../pipeline/index.js";
import { asDeterministic, kvComponents } from "./coder-derivation.js";
import { encodeKey } from "./key-identity.js";

/** How a side input's elements (of one window) become the value a DoFn reads. */
export type ViewKind = "singleton" | "iterable" | "list" | "map" | "multimap";

/**
 * A PCollection read as a side input. Create one with asSingleton, asIterable, asList,
 * asMap or asMultimap, declare it on the ParDo (`parDo(fn, { sideInputs: [view] })`) and
 * read it with `ctx.sideInput(view)`. The view of one main-input window is built from the
 * side input's elements in the matching side window (the side WindowFn's window mapping).
 */
export class PCollectionView<V> {
  /** @internal use the as* functions. */
  constructor(
    readonly pcollection: PCollection<unknown>,
    readonly kind: ViewKind,
    /** Builds the view's value from the elements of one window. */
    readonly materialize: (elements: readonly unknown[]) => V,
  ) {}
  toString(): string {
    return `${this.kind} view of ${this.pcollection.toString()}`;
  }
}

/**
 * The single element of a PCollection (per window). With `defaultValue`, an empty window
 * reads as that value; without, reading an empty window is an error.
 */
export function asSingleton<T>(pc: PCollection<T>, options?: { defaultValue: T }): PCollectionView<T> {
  const label = pc.toString();
  return new PCollectionView<T>(pc as PCollection<unknown>, "singleton", (elements) => {
    if (elements.length === 1) return elements[0] as T;
    if (elements.length === 0) {
      if (options !== undefined) return options.defaultValue;
      throw new ConstructionError(
        `The singleton side input ${label} is empty in this window. Give asSingleton a ` +
          `defaultValue, or make sure exactly one element reaches every window.`,
      );
    }
    throw new ConstructionError(
      `The singleton side input ${label} has ${elements.length} elements in one window ` +
        `(first: ${describeValue(elements[0])}, ${describeValue(elements[1])}). Combine it to one value ` +
        `first (e.g. combineGlobally), or read it with asIterable/asList.`,
    );
  });
}

/** All elements of a PCollection (per window), in no particular order. */
export function asIterable<T>(pc: PCollection<T>): PCollectionView<Iterable<T>> {
  return new PCollectionView<Iterable<T>>(pc as PCollection<unknown>, "iterable", (e) => e as readonly T[]);
}

/** All elements of a PCollection (per window) as an array. */
export function asList<T>(pc: PCollection<T>): PCollectionView<readonly T[]> {
  return new PCollectionView<readonly T[]>(pc as PCollection<unknown>, "list", (e) => e as readonly T[]);
}

/** A PCollection of KVs as a map; two values for one key in a window is an error. */
export function asMap<K, V>(pc: PCollection<KV<K, V>>): PCollectionView<ReadonlyMap<K, V>> {
  const keyCoder = keyCoderOf(pc as PCollection<KV<unknown, unknown>>, "asMap");
  const label = pc.toString();
  return new PCollectionView<ReadonlyMap<K, V>>(pc as PCollection<unknown>, "map", (elements) => {
    const map = new KeyedMap<K, V>(keyCoder as Coder<K>);
    for (const e of elements as readonly KV<K, V>[]) {
      if (map.has(e.key)) {
        throw new ConstructionError(
          `The map side input ${label} has two values for key ${describeValue(e.key)} in one window. ` +
            `Use asMultimap, or combine per key first.`,
        );
      }
      map.set(e.key, e.value);
    }
    return map;
  });
}

/** A PCollection of KVs as a map from each key to all its values. */
export function asMultimap<K, V>(pc: PCollection<KV<K, V>>): PCollectionView<ReadonlyMap<K, readonly V[]>> {
  const keyCoder = keyCoderOf(pc as PCollection<KV<unknown, unknown>>, "asMultimap");
  return new PCollectionView<ReadonlyMap<K, readonly V[]>>(pc as PCollection<unknown>, "multimap", (elements) => {
    const map = new KeyedMap<K, V[]>(keyCoder as Coder<K>);
    for (const e of elements as readonly KV<K, V>[]) {
      const values = map.get(e.key);
      if (values) values.push(e.value);
      else map.set(e.key, [e.value]);
    }
    return map;
  });
}

function keyCoderOf(pc: PCollection<KV<unknown, unknown>>, what: string): Coder<unknown> {
  const [k] = kvComponents(pc.coder as Coder<KV<unknown, unknown>>);
  return asDeterministic(k, `${what}(${pc.toString()})`);
}

/**
 * A Map whose keys are equal when their encodings are equal (Beam's key semantics), so
 * object keys work; string and number keys take the native path.
 */
class KeyedMap<K, V> extends Map<K, V> {
  private readonly byEncoding = new Map<string, K>();
  constructor(private readonly keyCoder: Coder<K>) {
    super();
  }
  private canonical(key: K): K {
    if (typeof key === "string" || typeof key === "number") return key;
    const id = encodeKey(this.keyCoder, key);
    const existing = this.byEncoding.get(id);
    if (existing !== undefined) return existing;
    this.byEncoding.set(id, key);
    return key;
  }
  override get(key: K): V | undefined {
    return super.get(this.canonical(key));
  }
  override has(key: K): boolean {
    return super.has(this.canonical(key));
  }
  override set(key: K, value: V): this {
    return super.set(this.canonical(key), value);
  }
}
