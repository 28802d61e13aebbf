import type { BoundedWindow, Coder, Instant, PaneInfo, WindowedValue } from "../../model/index.js";
import { NotEncodableError, describeValue } from "../../model/index.js";
import { decodeFromBytes, encodeToBytes } from "../../coders/index.js";
import { Sampler } from "./immutability-enforcement.js";
import type { Sink } from "./sinks.js";

/** Where a materialized edge is: the PCollection and the steps on either side. */
export interface Edge {
  /** The PCollection, as `describePCollection` shows it. */
  readonly pcollection: string;
  /** The full label of the step that outputs it. */
  readonly producer: string;
}

/**
 * In front of a materialized edge's sink (GroupByKey, Combine, Reshuffle, stateful and
 * splittable ParDo inputs, side inputs) under --enforceEncodability: an element is encoded
 * with its PCollection's coder and decoded again, and the decoded copy goes on, as Beam
 * DirectRunner's CloningBundleFactory does — every element of a test or a small job (the
 * first 10,000 elements or 1 MiB of a PCollection), then one in 100, as the immutability
 * checks sample: copying everything made shuffle-heavy jobs 3.2-3.4× slower, and a
 * PCollection whose values cannot be encoded shows it in its first elements. With --parallelism N the elements bound for
 * another thread are encoded at this edge anyway; copying every element makes one thread
 * behave like N: a function, a cyclic object or a class instance without a coder fails here
 * whatever the parallelism, values arrive as the coder rebuilds them (a Set in an iterable
 * coder becomes an array in every thread, not only in the others), and a change made to an
 * object after it crossed the edge cannot reach what the edge holds.
 *
 * @example
 * const sink = new EncodabilitySink(groupByKeySink, kvCoder(stringUtf8Coder, jsValueCoder), {
 *   pcollection: "MakeValues.main (kv<string_utf8, js_value>)",
 *   producer: "MakeValues",
 * });
 */
export class EncodabilitySink implements Sink {
  readonly label: string;
  private readonly sampler = new Sampler();

  constructor(
    private readonly inner: Sink,
    private readonly coder: Coder<unknown>,
    private readonly edge: Edge,
  ) {
    this.label = inner.label;
  }

  startBundle(): void | Promise<void> {
    return this.inner.startBundle();
  }

  receive(wv: WindowedValue<unknown>): void {
    this.inner.receive({ value: this.copy(wv.value), timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane });
  }

  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    const copy = this.copy(value);
    if (this.inner.receiveParts !== undefined) this.inner.receiveParts(copy, timestamp, windows, pane);
    else this.inner.receive({ value: copy, timestamp, windows, pane });
  }

  finishBundle(): void | Promise<void> {
    return this.inner.finishBundle();
  }

  whenReady(): Promise<void> | undefined {
    return this.inner.whenReady?.();
  }

  teardown(): Promise<void> {
    return this.inner.teardown?.() ?? Promise.resolve();
  }

  commit(): void {
    this.inner.commit();
  }

  abort(): void {
    this.inner.abort();
  }

  private copy(value: unknown): unknown {
    if (!this.sampler.next()) return value;
    let bytes: Uint8Array;
    try {
      bytes = encodeToBytes(this.coder, value);
    } catch (err) {
      throw notEncodableError(this.edge, this.label, this.coder, value, err);
    }
    this.sampler.checked(bytes.length);
    try {
      return decodeFromBytes(this.coder, bytes);
    } catch (err) {
      throw notEncodableError(this.edge, this.label, this.coder, value, err);
    }
  }
}

/**
 * The error for an element its PCollection's coder cannot encode (or decode again) where it
 * crosses a materialized edge into `consumer`; the coder's error is the cause.
 *
 * @example
 * throw notEncodableError({ pcollection: "MakeValues.main", producer: "MakeValues" }, "GroupByKey", coder, value, err);
 */
export function notEncodableError(edge: Edge, consumer: string, coder: Coder<unknown>, value: unknown, cause: unknown): NotEncodableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const element = describeValue(value);
  return new NotEncodableError(
    edge.producer,
    element,
    `${edge.producer} output an element that its PCollection's coder (${coder.toString()}) cannot encode and decode, ` +
      `where ${edge.pcollection} is materialized for ${consumer}: ${reason} Element: ${element}. ` +
      `Elements cross this edge as bytes between threads (--parallelism) and on every portable runner, so the ` +
      `embedded runner encodes them at every parallelism. Fix: give the PCollection a coder for these values ` +
      `with .withCoder(...) right after ${edge.producer}, or output plain data (no functions, cycles or class ` +
      `instances). Turn the check off with --enforceEncodability=false.`,
    { cause },
  );
}
