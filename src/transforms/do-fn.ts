import type { BoundedWindow, Instant, PaneInfo } from "../model/index.js";
import type { PCollectionView } from "./side-input-view.js";

/** Metrics a DoFn can report, bound to the transform that runs it. */
export interface DoFnMetrics {
  counter(namespace: string, name: string): { inc(n?: number): void; dec(n?: number): void };
  distribution(namespace: string, name: string): { update(value: number): void };
  gauge(namespace: string, name: string): { set(value: number): void };
  stringSet(namespace: string, name: string): { add(...values: string[]): void };
}

/** Tagged (additional) outputs of a DoFn: tag name to element type. */
export type OutputTags = Record<string, unknown>;

/**
 * What `process` can see and do for the element it is given. For a synchronous DoFn the
 * context object is reused between elements: do not keep it after `process` returns.
 */
export interface ProcessContext<Out, Tags extends OutputTags = Record<never, never>> {
  /** The element's event timestamp. */
  readonly timestamp: Instant;
  /** The window being processed; an element in several windows is processed once per window. */
  readonly window: BoundedWindow;
  /** The pane that produced the element. */
  readonly pane: PaneInfo;
  /** Emits to the main output, at the input's timestamp and window. */
  output(value: Out): void;
  /** Emits to the main output at another timestamp (not earlier than the input's, unless allowed). */
  outputWithTimestamp(value: Out, timestamp: Instant): void;
  /** Emits to a tagged output declared in `parDo(fn, { outputs: [...] })`. */
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K]): void;
  /** Reads a side input declared in `parDo(fn, { sideInputs: [...] })`, for this window. */
  sideInput<V>(view: PCollectionView<V>): V;
  /** Metrics of this transform. */
  readonly metrics: DoFnMetrics;
}

/** What `startBundle` can see. */
export interface StartBundleContext {
  readonly metrics: DoFnMetrics;
}

/** What `finishBundle` can do: emit with an explicit timestamp and window, as in Beam. */
export interface FinishBundleContext<Out, Tags extends OutputTags = Record<never, never>> {
  output(value: Out, timestamp: Instant, window: BoundedWindow): void;
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K], timestamp: Instant, window: BoundedWindow): void;
  readonly metrics: DoFnMetrics;
}

/**
 * Beam's DoFn: per-element processing with a lifecycle. A runner calls `setup` once per
 * instance, then for each bundle `startBundle`, `process` per element and window, and
 * `finishBundle`, and finally `teardown` (also after a failure). `process` may be async:
 * return a promise, or an async iterable of outputs; the runner keeps a bounded number of
 * such calls in flight per bundle (`maxConcurrency`).
 *
 * Runners work on shallow copies of the DoFn object made before `setup`, so per-instance
 * state belongs in fields initialised by `setup` or `startBundle`.
 *
 * @example
 * const parse: DoFn<string, Order> = {
 *   process(line, ctx) {
 *     const order = JSON.parse(line) as Order;
 *     if (order.amount > 0) ctx.output(order);
 *   },
 * };
 */
export interface DoFn<In, Out, Tags extends OutputTags = Record<never, never>> {
  setup?(): void | Promise<void>;
  startBundle?(ctx: StartBundleContext): void | Promise<void>;
  process(element: In, ctx: ProcessContext<Out, Tags>): void | Promise<void> | AsyncIterable<Out>;
  finishBundle?(ctx: FinishBundleContext<Out, Tags>): void | Promise<void>;
  teardown?(): void | Promise<void>;
}
