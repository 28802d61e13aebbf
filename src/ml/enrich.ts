import { ConstructionError, describeValue, type Instant } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { parDo, type DoFn, type DoFnMetrics, type FinishBundleContext, type ProcessContext, type StartBundleContext } from "../transforms/index.js";
import { sharedEnrichmentCache, type EnrichmentCache } from "./enrichment-cache.js";
import type { EnrichmentHandler } from "./enrichment-handler.js";
import { InFlightBatches, sharedLimiter, type FinishedBatch } from "./in-flight-batches.js";
import { WindowBuffers, type WindowBuffer } from "./window-buffers.js";

/** The namespace of Enrichment's metrics (cache_hits, cache_misses, lookups, lookup_batches, missing). */
export const ENRICHMENT_METRICS_NAMESPACE = "beam-ts.ml.enrichment";

/** What happens to an element whose key the backend does not have. */
export type OnMissing = "drop" | "passThrough" | "deadLetter";

/** Options of `enrich`. */
export interface EnrichOptions<In, Resp, Out> {
  /** The lookup key of an element. */
  readonly key: (element: In) => string | number;
  /** Joins an element with its response (undefined only for a missing key with onMissing "passThrough"). */
  readonly joinFn: (element: In, response: Resp | undefined) => Out;
  /** The shared cache (default ttlMs 5 minutes, maxEntries 100 000; maxEntries 0 disables it). */
  readonly cache?: { readonly ttlMs?: number; readonly maxEntries?: number };
  /** Default "passThrough", as Beam's Enrichment joins a missing key with an empty response. */
  readonly onMissing?: OnMissing;
  /** Keys gathered per lookup (capped by the handler's maxBatchSize) and how long to wait for them. */
  readonly batch?: { readonly maxSize?: number; readonly maxWaitMs?: number };
}

/** An element whose key was missing (onMissing "deadLetter"). */
export interface EnrichmentFailure<In> {
  readonly element: In;
  readonly key: string;
  readonly reason: string;
}

type Tags<In> = { failures: EnrichmentFailure<In> };

/**
 * Beam Python's Enrichment: joins each element with what an external system holds for its
 * key. Lookups are batched (distinct keys of concurrent elements, up to the handler's
 * maxBatchSize) and cached in a cache shared by the worker's DoFn instances, so a key is
 * fetched once per TTL however many elements carry it.
 *
 * @example
 * const enriched = orders.apply(enrich(redisEnrichmentHandler({ connection }), { key: (o) => `customer:${o.customer}`, joinFn: (o, c) => ({ ...o, customer: c }) }));
 */
export function enrich<In, Resp, Out>(
  handler: EnrichmentHandler<Resp>,
  options: EnrichOptions<In, Resp, Out> & { readonly onMissing: "deadLetter" },
): PTransform<PCollection<In>, { output: PCollection<Out>; failures: PCollection<EnrichmentFailure<In>> }>;
export function enrich<In, Resp, Out>(handler: EnrichmentHandler<Resp>, options: EnrichOptions<In, Resp, Out>): PTransform<PCollection<In>, PCollection<Out>>;
export function enrich<In, Resp, Out>(
  handler: EnrichmentHandler<Resp>,
  options: EnrichOptions<In, Resp, Out>,
): PTransform<PCollection<In>, PCollection<Out> | { output: PCollection<Out>; failures: PCollection<EnrichmentFailure<In>> }> {
  check(handler, options);
  return new Enrich(handler, options);
}

function check<In, Resp, Out>(handler: EnrichmentHandler<Resp>, options: EnrichOptions<In, Resp, Out>): void {
  if (typeof handler?.open !== "function" || typeof handler.lookup !== "function" || typeof handler.id !== "string") {
    throw new ConstructionError(`enrich needs an EnrichmentHandler with id, open() and lookup(session, keys).`);
  }
  if (typeof options?.key !== "function" || typeof options.joinFn !== "function") {
    throw new ConstructionError(`enrich(${handler.id}) needs { key: (element) => key, joinFn: (element, response) => output }.`);
  }
  const { ttlMs = 0, maxEntries = 0 } = options.cache ?? {};
  if (!(ttlMs >= 0) || !Number.isInteger(maxEntries) || maxEntries < 0) {
    throw new ConstructionError(`enrich(${handler.id}): cache.ttlMs must be >= 0 and cache.maxEntries an integer >= 0.`);
  }
  if (options.onMissing !== undefined && !["drop", "passThrough", "deadLetter"].includes(options.onMissing)) {
    throw new ConstructionError(`enrich(${handler.id}): onMissing must be "drop", "passThrough" or "deadLetter", got ${String(options.onMissing)}.`);
  }
}

class Enrich<In, Resp, Out> extends PTransform<PCollection<In>, PCollection<Out> | { output: PCollection<Out>; failures: PCollection<EnrichmentFailure<In>> }> {
  constructor(
    private readonly handler: EnrichmentHandler<Resp>,
    private readonly options: EnrichOptions<In, Resp, Out>,
  ) {
    super(`Enrichment(${handler.id.replace(/\//g, "_")})`);
  }

  expand(input: PCollection<In>): PCollection<Out> | { output: PCollection<Out>; failures: PCollection<EnrichmentFailure<In>> } {
    const { main, failures } = input.apply(
      "Lookup",
      // Joined elements go out at their own timestamps, which may be before that of the call that completes the batch.
      parDo<In, Out, Tags<In>>(new EnrichDoFn(this.handler, this.options), { outputs: ["failures"], allowedTimestampSkew: Infinity }),
    );
    return this.options.onMissing === "deadLetter" ? { output: main, failures } : main;
  }
}

/** How a batch's joined elements leave the DoFn: from `process` or from `finishBundle` (see InferenceDoFn). */
interface Emitter<In, Out> {
  output(value: Out, timestamp: Instant): void;
  failure(value: EnrichmentFailure<In>, timestamp: Instant): void;
}

/**
 * The DoFn: a cached key is joined at once; other elements wait in per-window buffers,
 * and the call that fills one (or finds it older than maxWaitMs) starts, in the background
 * (in-flight-batches.ts), the lookup of the batch's distinct keys that are neither cached
 * nor being fetched; later calls of the window emit the finished batches, and
 * `finishBundle` the rest. Calls stay synchronous, as in RunInference.
 */
class EnrichDoFn<In, Resp, Out, Session> implements DoFn<In, Out, Tags<In>> {
  private session!: Session;
  private cache!: EnrichmentCache<Resp>;
  private buffers!: WindowBuffers<{ element: In; key: string }, null>;
  private inFlight!: InFlightBatches<{ element: In; key: string }, null, readonly (Resp | undefined)[]>;
  private maxSize = 100;
  private metrics: DoFnMetrics | undefined;

  constructor(
    private readonly handler: EnrichmentHandler<Resp, Session>,
    private readonly options: EnrichOptions<In, Resp, Out>,
  ) {}

  async setup(): Promise<void> {
    const ttlMs = this.options.cache?.ttlMs ?? 300_000;
    const maxEntries = this.options.cache?.maxEntries ?? 100_000;
    this.cache = sharedEnrichmentCache<Resp>(`${this.handler.id}|${ttlMs}|${maxEntries}`, ttlMs, maxEntries);
    this.maxSize = Math.min(this.options.batch?.maxSize ?? 100, this.handler.maxBatchSize ?? 100);
    this.buffers = new WindowBuffers();
    this.inFlight = new InFlightBatches();
    this.session = await this.handler.open();
  }

  startBundle(ctx: StartBundleContext): void {
    this.metrics = ctx.metrics;
  }

  process(element: In, ctx: ProcessContext<Out, Tags<In>>): void {
    const key = String(this.options.key(element));
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      ctx.metrics.counter(ENRICHMENT_METRICS_NAMESPACE, "cache_hits").inc();
      this.join(element, key, cached.value, ctx.timestamp, {
        output: (value) => ctx.output(value),
        failure: (value) => ctx.outputTo("failures", value),
      });
    } else {
      // Hit or miss is decided when the batch runs: the key may be fetched for another element by then.
      const buffer = this.buffers.add(ctx.window, { element, key }, ctx.timestamp, null);
      if (buffer.values.length >= this.maxSize || performance.now() - buffer.since >= (this.options.batch?.maxWaitMs ?? 50)) this.start(this.buffers.take(ctx.window)!);
    }
    const finished = this.inFlight.takeFinished(ctx.window.id());
    if (finished.length === 0) return;
    const emit: Emitter<In, Out> = {
      output: (value, timestamp) => ctx.outputWithTimestamp(value, timestamp),
      failure: (value) => ctx.outputTo("failures", value),
    };
    for (const batch of finished) this.emit(batch, emit);
  }

  async finishBundle(ctx: FinishBundleContext<Out, Tags<In>>): Promise<void> {
    for (const buffer of this.buffers.takeAll()) this.start(buffer);
    await this.inFlight.drain((batch) => {
      const window = batch.buffer.window;
      this.emit(batch, {
        output: (value, timestamp) => ctx.output(value, timestamp, window),
        failure: (value, timestamp) => ctx.outputTo("failures", value, timestamp, window),
      });
    });
  }

  private start(buffer: WindowBuffer<{ element: In; key: string }, null>): void {
    this.inFlight.start(buffer, (b) => this.answers(b), sharedLimiter(`enrich:${this.handler.id}`, this.handler.maxConcurrentLookups ?? 4));
  }

  private emit(batch: FinishedBatch<{ element: In; key: string }, null, readonly (Resp | undefined)[]>, emit: Emitter<In, Out>): void {
    if (!batch.outcome.ok) throw batch.outcome.error;
    const answers = batch.outcome.value;
    const buffer = batch.buffer;
    buffer.values.forEach((value, i) => this.join(value.element, value.key, answers[i], buffer.timestampAt(i), emit));
  }

  async teardown(): Promise<void> {
    if (this.session !== undefined) await this.handler.close?.(this.session);
  }

  /** The response of each buffered element: cached, being fetched, or fetched now in lookups of at most maxSize keys. */
  private async answers(buffer: WindowBuffer<{ element: In; key: string }, null>): Promise<readonly (Resp | undefined)[]> {
    const answers = new Map<string, Promise<Resp | undefined>>();
    // Distinct keys only: a key two elements of the batch share is fetched once (the handler's contract).
    const toFetch = new Set<string>();
    for (const value of buffer.values) {
      if (answers.has(value.key) || toFetch.has(value.key)) continue;
      const cached = this.cache.get(value.key);
      const pending = cached !== undefined ? Promise.resolve(cached.value) : this.cache.pending.get(value.key);
      if (pending !== undefined) answers.set(value.key, pending);
      else toFetch.add(value.key);
    }
    // A miss is a key fetched for the batch; the other elements were answered by the cache, a fetch in flight, or the fetch of another element's key.
    this.metrics?.counter(ENRICHMENT_METRICS_NAMESPACE, "cache_hits").inc(buffer.values.length - toFetch.size);
    this.metrics?.counter(ENRICHMENT_METRICS_NAMESPACE, "cache_misses").inc(toFetch.size);
    const distinct = [...toFetch];
    for (let at = 0; at < distinct.length; at += this.maxSize) {
      const keys = distinct.slice(at, at + this.maxSize);
      const fetched = this.lookup(keys);
      keys.forEach((key, i) => {
        const answer = fetched.then((values) => values[i]);
        answers.set(key, answer);
        this.cache.pending.set(key, answer);
        answer.then(
          (value) => {
            this.cache.set(key, value);
            this.cache.pending.delete(key);
          },
          () => this.cache.pending.delete(key),
        );
      });
    }
    return Promise.all(buffer.values.map((value) => answers.get(value.key)!));
  }

  private join(element: In, key: string, response: Resp | undefined, timestamp: Instant, emit: Emitter<In, Out>): void {
    if (response !== undefined) {
      emit.output(this.options.joinFn(element, response), timestamp);
      return;
    }
    this.metrics?.counter(ENRICHMENT_METRICS_NAMESPACE, "missing").inc();
    const onMissing = this.options.onMissing ?? "passThrough";
    if (onMissing === "passThrough") emit.output(this.options.joinFn(element, undefined), timestamp);
    else if (onMissing === "deadLetter") emit.failure({ element, key, reason: `${this.handler.id} has nothing for key ${describeValue(key, 100)}` }, timestamp);
  }

  private async lookup(keys: readonly string[]): Promise<readonly (Resp | undefined)[]> {
    this.metrics?.counter(ENRICHMENT_METRICS_NAMESPACE, "lookup_batches").inc();
    this.metrics?.counter(ENRICHMENT_METRICS_NAMESPACE, "lookups").inc(keys.length);
    const values = await this.handler.lookup(this.session, keys);
    if (values.length !== keys.length) throw new Error(`EnrichmentHandler ${this.handler.id} answered ${values.length} values for ${keys.length} keys.`);
    return values;
  }
}
