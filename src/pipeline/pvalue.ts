import type { Coder, RowSchema, WindowingStrategy } from "../model/index.js";
import { ConstructionError } from "../model/index.js";
import { rowCoder } from "../coders/index.js";
import type { Pipeline } from "./pipeline.js";
import type { PTransform } from "./ptransform.js";

/** The input of a root transform (create, impulse, reads): the pipeline's beginning. */
export class PBegin {
  constructor(readonly pipeline: Pipeline) {}
  apply<Out extends PValue>(transform: PTransform<PBegin, Out>): Out;
  apply<Out extends PValue>(name: string, transform: PTransform<PBegin, Out>): Out;
  apply<Out extends PValue>(a: string | PTransform<PBegin, Out>, b?: PTransform<PBegin, Out>): Out {
    return this.pipeline.applyTransform(this, a, b);
  }
}

/**
 * An immutable, possibly unbounded collection of elements of type T, each with a
 * timestamp and windows. Produced and consumed by transforms.
 */
export class PCollection<T> {
  /** Phantom field that makes PCollection<T> covariant in T; never set. */
  declare readonly __elementType?: T;

  /** @internal use `pipeline.applyTransform`; users get PCollections from transforms. */
  constructor(
    readonly pipeline: Pipeline,
    readonly id: string,
  ) {}

  /**
   * Applies a transform to this PCollection, optionally under a given name, and returns the
   * transform's output.
   *
   * A generic transform written in the call takes its type arguments from this PCollection,
   * so they need not be given: on a `PCollection<KV<string, number>>`, `groupByKey()` gives
   * a `PCollection<KV<string, Iterable<number>>>` and `combinePerKey(sum())` a
   * `PCollection<KV<string, number>>`, and the parameters of `map((e) => ...)` or
   * `filter((e) => ...)` are typed. Misuse still does not compile: `groupByKey()` on a
   * PCollection that is not of KVs is an error. Explicit type arguments keep working; a
   * transform built away from `apply` (kept in a variable) has no input to infer from and
   * needs them.
   *
   * @example
   * const words: PCollection<string> = lines.apply(flatMap((line: string) => line.split(" ")));
   * const counts = words.apply(countPerElement()); // PCollection<KV<string, number>>
   * const initials = counts.apply(keys()).apply(map((w) => w[0])); // w: string
   */
  apply<Out extends PValue>(transform: PTransform<PCollection<T>, Out>): Out;
  apply<Out extends PValue>(name: string, transform: PTransform<PCollection<T>, Out>): Out;
  apply<Out extends PValue>(
    a: string | PTransform<PCollection<T>, Out>,
    b?: PTransform<PCollection<T>, Out>,
  ): Out {
    return this.pipeline.applyTransform(this, a, b);
  }

  /** The coder used where elements cross a boundary (shuffle, threads, Fn API). */
  get coder(): Coder<T> {
    return this.pipeline.graphNode(this).coder as Coder<T>;
  }

  /** The windowing strategy elements of this PCollection are grouped under. */
  get windowing(): WindowingStrategy {
    return this.pipeline.graphNode(this).windowing;
  }

  get isBounded(): boolean {
    return this.pipeline.graphNode(this).isBounded;
  }

  /**
   * Overrides the inferred coder. Call it right after producing the PCollection: once a
   * transform consumes it, downstream coders were derived from the old one.
   */
  withCoder(coder: Coder<T>): this {
    const node = this.pipeline.graphNode(this);
    if (node.consumers.length > 0) {
      throw new ConstructionError(
        `Cannot set the coder of ${this.toString()}: it is already consumed by ` +
          `${node.consumers.map((c) => this.pipeline.transformLabel(c)).join(", ")}. ` +
          `Call .withCoder(...) right after the transform that produces it.`,
      );
    }
    this.pipeline.setCoder(this, coder as Coder<unknown>);
    return this;
  }

  /**
   * Attaches a schema: the PCollection's elements are rows of it, encoded with Beam's RowCoder
   * (`beam:coder:row:v1`, the schema proto in its payload), so other SDKs read them and a
   * portable runner carries the schema. Each row is checked against the schema where it is
   * encoded, naming the field (`Order.address.zip: expected string, got 12345`). The row type
   * must be this PCollection's element type or narrower (from `unknown`, say): call it right
   * after the transform that produces the rows, as `withCoder`.
   *
   * @example
   * const Word = schema({ word: t.string(), count: t.int64() }, { name: "Word" });
   * const words = lines.apply(map((l: string) => ({ word: l, count: 1n }))).withSchema(Word); // PCollection<RowOf<typeof Word>>
   */
  withSchema<R extends T>(schema: RowSchema<R>): PCollection<R> {
    this.withCoder(rowCoder(schema.schema, { name: schema.name }) as Coder<unknown> as Coder<T>);
    return this as unknown as PCollection<R>;
  }

  toString(): string {
    return `PCollection ${this.pipeline.describePCollection(this)}`;
  }
}

/** Anything a transform takes or returns. */
export type PValue =
  | PBegin
  | PCollection<unknown>
  | void
  | readonly PCollection<unknown>[]
  | { readonly [tag: string]: PCollection<unknown> };

/** The element type of a PCollection type. */
export type ElementOf<P> = P extends PCollection<infer T> ? T : never;
