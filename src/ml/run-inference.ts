import { ConstructionError } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import type { BoundedWindow, Instant } from "../model/index.js";
import {
  parDo,
  type DoFn,
  type DoFnMetrics,
  type FinishBundleContext,
  type PCollectionView,
  type ProcessContext,
  type StartBundleContext,
} from "../transforms/index.js";
import { BatchSizeEstimator } from "./batch-size-estimator.js";
import { InFlightBatches, Limiter, sharedLimiter, type FinishedBatch } from "./in-flight-batches.js";
import { WindowBuffers, type WindowBuffer } from "./window-buffers.js";
import type { InferenceFailure, ModelHandler, PredictionResult } from "./model-handler.js";
import { acquireSharedModel, loadedSharedModel } from "./shared-models.js";

/** The namespace of RunInference's metrics. */
export const INFERENCE_METRICS_NAMESPACE = "beam-ts.ml";

/** Options of `runInference`. */
export interface RunInferenceOptions {
  /**
   * Batch bounds (Beam's BatchElements): sizes adapt between minSize (default 1) and
   * maxSize (default 64) by the measured batch time; a batch waits at most maxWaitMs
   * (default 100) for more examples, checked as examples arrive (those that arrive in one
   * synchronous run of the event loop share one reading of the clock). Batches hold one
   * window's examples and never span bundles: what is left at a bundle's end runs then.
   */
  readonly batch?: { readonly minSize?: number; readonly maxSize?: number; readonly maxWaitMs?: number };
  /**
   * A singleton side input naming the model to use (a path or version; undefined keeps the
   * handler's own): when it changes, the open batch runs on the old model and the next on
   * the new one (`handler.withModelId`). Beam's model_metadata_pcoll.
   */
  readonly modelUpdates?: PCollectionView<string | undefined>;
}

type Tags<E> = { failures: InferenceFailure<E> };

/**
 * Beam's RunInference: runs a model on every example, in batches, with the model loaded
 * once per process and shared by every DoFn instance (see ModelHandler). Outputs a
 * PredictionResult per example. A batch that fails fails its bundle (the runner retries
 * it); `.withExceptionHandling()` sends its examples to a failures output instead.
 *
 * Metrics (namespace `beam-ts.ml`): `inference_latency_ms` and `batch_size` distributions,
 * `model_load_ms` distribution and `model_loads` counter, `failed_batches` and
 * `failed_examples` counters.
 *
 * @example
 * const predictions = features.apply(runInference(onnxModelHandler({ path: "model.onnx" }), { batch: { maxSize: 32 } }));
 */
export function runInference<E, I, M>(handler: ModelHandler<E, I, M>, options: RunInferenceOptions = {}): RunInference<E, I, M> {
  return new RunInference(handler, options, false);
}

/** The transform `runInference` returns. */
export class RunInference<E, I, M> extends PTransform<PCollection<E>, PCollection<PredictionResult<E, I>>> {
  constructor(
    private readonly handler: ModelHandler<E, I, M>,
    private readonly options: RunInferenceOptions,
    private readonly deadLetters: boolean,
  ) {
    // Labels may not hold "/": a model path is named by its file name.
    super(`RunInference(${String(handler?.modelId).replace(/.*\//, "")})`);
    checkOptions(handler, options);
  }

  /** Failing batches send their examples to `failures` (with the error) instead of failing the bundle. */
  withExceptionHandling(): PTransform<PCollection<E>, { output: PCollection<PredictionResult<E, I>>; failures: PCollection<InferenceFailure<E>> }> {
    const inner = new RunInference(this.handler, this.options, true);
    return new (class extends PTransform<PCollection<E>, { output: PCollection<PredictionResult<E, I>>; failures: PCollection<InferenceFailure<E>> }> {
      expand(input: PCollection<E>) {
        const { main, failures } = inner.tagged(input);
        return { output: main, failures };
      }
    })(this.name);
  }

  expand(input: PCollection<E>): PCollection<PredictionResult<E, I>> {
    return this.tagged(input).main;
  }

  /** @internal */
  tagged(input: PCollection<E>): { main: PCollection<PredictionResult<E, I>>; failures: PCollection<InferenceFailure<E>> } {
    const views = this.options.modelUpdates === undefined ? [] : [this.options.modelUpdates as PCollectionView<unknown>];
    return input.apply(
      "RunInference",
      parDo<E, PredictionResult<E, I>, Tags<E>>(new InferenceDoFn(this.handler, this.options, this.deadLetters), {
        outputs: ["failures"],
        sideInputs: views,
        // Results go out at their own example's timestamp, which may be before that of the call that completes the batch.
        allowedTimestampSkew: Infinity,
      }),
    );
  }
}

function batchBounds<E, I, M>(handler: ModelHandler<E, I, M>, options: RunInferenceOptions): { minSize: number; maxSize: number; maxWaitMs: number } {
  const hints = handler.batchSizeHints ?? {};
  const minSize = options.batch?.minSize ?? hints.minSize ?? 1;
  const maxSize = Math.min(options.batch?.maxSize ?? 64, hints.maxSize ?? Infinity);
  return { minSize, maxSize, maxWaitMs: options.batch?.maxWaitMs ?? 100 };
}

function checkOptions<E, I, M>(handler: ModelHandler<E, I, M>, options: RunInferenceOptions): void {
  if (typeof handler?.loadModel !== "function" || typeof handler.runInference !== "function" || typeof handler.modelId !== "string") {
    throw new ConstructionError(`runInference needs a ModelHandler with modelId, loadModel() and runInference(batch, model).`);
  }
  const { minSize, maxSize, maxWaitMs } = batchBounds(handler, options);
  if (!Number.isInteger(minSize) || minSize < 1 || !Number.isInteger(maxSize) || maxSize < minSize) {
    throw new ConstructionError(
      `runInference(${handler.modelId}): batch sizes must be integers with 1 <= minSize <= maxSize (after the handler's batchSizeHints), got minSize ${minSize}, maxSize ${maxSize}.`,
    );
  }
  if (!(maxWaitMs >= 0)) throw new ConstructionError(`runInference(${handler.modelId}): batch.maxWaitMs must be >= 0, got ${maxWaitMs}.`);
  if (options.modelUpdates !== undefined && handler.withModelId === undefined) {
    throw new ConstructionError(`runInference(${handler.modelId}): modelUpdates needs a handler with withModelId(id); this handler cannot switch models.`);
  }
}

/** How a batch's results leave the DoFn: from `process` (the batch's window is the call's) or from `finishBundle`. */
interface Emitter<E, I> {
  result(value: PredictionResult<E, I>, timestamp: Instant): void;
  failure(value: InferenceFailure<E>, timestamp: Instant): void;
}

/**
 * The DoFn: examples wait in per-window buffers (window-buffers.ts); the `process` call
 * that fills a buffer to the estimator's size, or finds it older than maxWaitMs, starts
 * the batch in the background (in-flight-batches.ts), and later calls of the same window
 * emit the results of the batches that finished; `finishBundle` runs what is left and
 * emits the rest. Calls are synchronous unless too many batches run, so the runner's
 * per-element cost stays that of a plain map.
 */
class InferenceDoFn<E, I, M> implements DoFn<E, PredictionResult<E, I>, Tags<E>> {
  private buffers!: WindowBuffers<E, ModelHandler<E, I, M>>;
  private inFlight!: InFlightBatches<E, ModelHandler<E, I, M>, readonly I[]>;
  private estimator!: BatchSizeEstimator;
  private maxWaitMs = 0;
  private maxSize = 1;
  private handlers!: Map<string, ModelHandler<E, I, M>>;
  private metrics: DoFnMetrics | undefined;
  /** The bundle's per-batch distributions, looked up on its first batch (a lookup builds a key string). */
  private batchCells: { readonly latency: { update(value: number): void }; readonly size: { update(value: number): void } } | undefined;
  private ownModel: { id: string; model: Promise<M>; loaded?: { model: M } } | undefined;
  private ownLimiter: Limiter | undefined;
  /** performance.now() as of the current synchronous run (see waitedTooLong); undefined between runs. */
  private clock: number | undefined;
  /**
   * Made in `setup`, like `runBuffer`: the runner runs shallow copies of the DoFn it was
   * given, and an arrow made by a field initializer would act on that original.
   */
  private clockExpires!: () => void;
  /**
   * Runs a taken buffer as a batch: one function for all (see InFlightBatches.start). The
   * buffer's values are the batch: handlers must not change it (ModelHandler.runInference).
   */
  private runBuffer!: (buffer: WindowBuffer<E, ModelHandler<E, I, M>>) => Promise<readonly I[]>;
  private lastLimiter: { readonly handler: ModelHandler<E, I, M>; readonly limiter: Limiter } | undefined;

  constructor(
    private readonly base: ModelHandler<E, I, M>,
    private readonly options: RunInferenceOptions,
    private readonly deadLetters: boolean,
  ) {}

  setup(): void {
    const { minSize, maxSize, maxWaitMs } = batchBounds(this.base, this.options);
    this.estimator = new BatchSizeEstimator({ minSize, maxSize });
    this.maxWaitMs = maxWaitMs;
    this.maxSize = maxSize;
    this.buffers = new WindowBuffers();
    this.inFlight = new InFlightBatches();
    this.handlers = new Map([[this.base.modelId, this.base]]);
    this.clockExpires = () => {
      this.clock = undefined;
    };
    this.runBuffer = (buffer) => this.runBatch(buffer.tag, buffer.values);
  }

  startBundle(ctx: StartBundleContext): void {
    this.metrics = ctx.metrics;
    this.batchCells = undefined;
  }

  process(example: E, ctx: ProcessContext<PredictionResult<E, I>, Tags<E>>): void | Promise<void> {
    const handler = this.handlerFor(ctx);
    const open = this.buffers.get(ctx.window);
    // The model changed: the open batch runs on the model it was gathered for, the next on the new one.
    if (open !== undefined && open.tag !== handler) this.start(this.buffers.take(ctx.window)!);
    const buffer = this.buffers.add(ctx.window, example, ctx.timestamp, handler);
    // While the model is busy a batch goes on growing to maxSize: it would only wait anyway.
    const size = buffer.values.length;
    if (size >= this.maxSize || (size >= this.estimator.nextSize() && !this.limiterFor(handler).busy) || this.waitedTooLong(buffer.since)) {
      this.start(this.buffers.take(ctx.window)!);
    }
    this.emitFinished(ctx);
    if (!this.inFlight.full) return;
    return this.inFlight.waitForOldest().then(() => this.emitFinished(ctx));
  }

  async finishBundle(ctx: FinishBundleContext<PredictionResult<E, I>, Tags<E>>): Promise<void> {
    // Beam's BatchElements flushes at finish_bundle: no batch waits past its bundle.
    for (const buffer of this.buffers.takeAll()) this.start(buffer);
    // One emitter for the bundle; `window` is that of the batch being emitted.
    let window: BoundedWindow | undefined;
    const emitter: Emitter<E, I> = {
      result: (value, timestamp) => ctx.output(value, timestamp, window!),
      failure: (value, timestamp) => ctx.outputTo("failures", value, timestamp, window!),
    };
    await this.inFlight.drain((batch) => {
      window = batch.buffer.window;
      this.emit(batch, emitter);
    });
  }

  /**
   * Whether a batch begun at `since` has waited maxWaitMs. The clock is read once per
   * synchronous run of the event loop (the examples a runner hands over in one go share it):
   * no batch can run before that run ends, so cutting one within it would only make it
   * smaller, and a read per example cost as much as RunInference's own bookkeeping.
   */
  private waitedTooLong(since: number): boolean {
    if (this.maxWaitMs === 0) return true;
    if (this.clock === undefined) {
      this.clock = performance.now();
      queueMicrotask(this.clockExpires);
    }
    return this.clock - since >= this.maxWaitMs;
  }

  /** The handler of the model the update side input names for this window (the base one without updates). */
  private handlerFor(ctx: ProcessContext<PredictionResult<E, I>, Tags<E>>): ModelHandler<E, I, M> {
    const view = this.options.modelUpdates;
    if (view === undefined) return this.base;
    const wanted = ctx.sideInput(view) ?? this.base.modelId;
    let handler = this.handlers.get(wanted);
    if (handler === undefined) this.handlers.set(wanted, (handler = this.base.withModelId!(wanted)));
    return handler;
  }

  private start(buffer: WindowBuffer<E, ModelHandler<E, I, M>>): void {
    this.inFlight.start(buffer, this.runBuffer, this.limiterFor(buffer.tag));
  }

  /** Who may run a batch of `handler`'s model now: one limiter per model in the process (per instance for instance-scoped models). */
  private limiterFor(handler: ModelHandler<E, I, M>): Limiter {
    // Asked per example: the last handler's limiter is kept at hand.
    if (handler === this.lastLimiter?.handler) return this.lastLimiter.limiter;
    const concurrency = handler.maxConcurrentBatches ?? 1;
    const limiter = handler.shareScope === "instance" ? (this.ownLimiter ??= new Limiter(concurrency)) : sharedLimiter(handler.modelId, concurrency);
    this.lastLimiter = { handler, limiter };
    return limiter;
  }

  /** Emits, through this call, the finished batches of its window. */
  private emitFinished(ctx: ProcessContext<PredictionResult<E, I>, Tags<E>>): void {
    if (!this.inFlight.anyFinished) return;
    const finished = this.inFlight.takeFinished(ctx.window.id());
    if (finished.length > 0) this.emitThrough(ctx, finished);
  }

  /**
   * Apart from emitFinished, which runs for every example: a function whose closures capture
   * `ctx` allocates their context on every call, even one that returns before making them.
   */
  private emitThrough(ctx: ProcessContext<PredictionResult<E, I>, Tags<E>>, finished: readonly FinishedBatch<E, ModelHandler<E, I, M>, readonly I[]>[]): void {
    const emitter: Emitter<E, I> = {
      result: (value, timestamp) => ctx.outputWithTimestamp(value, timestamp),
      // A dead letter is not a result: it goes out at the timestamp of the call that emits it.
      failure: (value) => ctx.outputTo("failures", value),
    };
    for (const batch of finished) this.emit(batch, emitter);
  }

  /**
   * Runs one batch. No async function: once the model is loaded a batch makes one promise
   * besides the model's own (each costs the async hooks' work while AsyncLocalStorage is on).
   */
  private runBatch(handler: ModelHandler<E, I, M>, examples: readonly E[]): Promise<readonly I[]> {
    const m = this.metrics;
    const loaded = this.loadedModel(handler);
    if (loaded !== undefined) return this.infer(handler, examples, loaded.model, m);
    return this.modelFor(handler).then(
      (model) => this.infer(handler, examples, model, m),
      (err: unknown) => this.failed(examples, err, m),
    );
  }

  private infer(handler: ModelHandler<E, I, M>, examples: readonly E[], model: M, m: DoFnMetrics | undefined): Promise<readonly I[]> {
    const started = performance.now();
    let ran: readonly I[] | Promise<readonly I[]>;
    try {
      ran = handler.runInference(examples, model);
    } catch (err) {
      return this.failed(examples, err, m);
    }
    return Promise.resolve(ran).then(
      (inferences) => {
        const ms = performance.now() - started;
        this.estimator.record(examples.length, ms);
        if (m !== undefined) {
          const cells = (this.batchCells ??= {
            latency: m.distribution(INFERENCE_METRICS_NAMESPACE, "inference_latency_ms"),
            size: m.distribution(INFERENCE_METRICS_NAMESPACE, "batch_size"),
          });
          cells.latency.update(ms);
          cells.size.update(examples.length);
        }
        if (inferences.length !== examples.length) {
          return this.failed(examples, new Error(`ModelHandler ${handler.modelId} returned ${inferences.length} inferences for a batch of ${examples.length} examples.`), m);
        }
        return inferences;
      },
      (err: unknown) => this.failed(examples, err, m),
    );
  }

  private failed(examples: readonly E[], err: unknown, m: DoFnMetrics | undefined): Promise<never> {
    m?.counter(INFERENCE_METRICS_NAMESPACE, "failed_batches").inc();
    m?.counter(INFERENCE_METRICS_NAMESPACE, "failed_examples").inc(examples.length);
    return Promise.reject(err);
  }

  private emit(batch: FinishedBatch<E, ModelHandler<E, I, M>, readonly I[]>, emit: Emitter<E, I>): void {
    const { buffer, outcome } = batch;
    const handler = buffer.tag;
    if (!outcome.ok) {
      if (!this.deadLetters) throw outcome.error;
      const err = outcome.error;
      const error = err instanceof Error ? { type: err.name, message: err.message } : { type: typeof err, message: String(err) };
      const values = buffer.values;
      for (let i = 0; i < values.length; i++) emit.failure({ example: values[i]!, modelId: handler.modelId, error, batchSize: values.length }, buffer.timestampAt(i));
      return;
    }
    const values = buffer.values;
    const inferences = outcome.value;
    const modelId = handler.modelId;
    if (handler.modelIdOf === undefined) {
      for (let i = 0; i < values.length; i++) emit.result({ example: values[i]!, inference: inferences[i]!, modelId }, buffer.timestampAt(i));
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const example = values[i]!;
      emit.result({ example, inference: inferences[i]!, modelId: handler.modelIdOf(example) ?? modelId }, buffer.timestampAt(i));
    }
  }

  /** The model of `handler` if it is loaded already (shared or this instance's), without a promise. */
  private loadedModel(handler: ModelHandler<E, I, M>): { model: M } | undefined {
    if (handler.shareScope === "instance") return this.ownModel?.id === handler.modelId ? this.ownModel.loaded : undefined;
    return loadedSharedModel<M>(handler.modelId);
  }

  private async modelFor(handler: ModelHandler<E, I, M>): Promise<M> {
    if (handler.shareScope === "instance") {
      if (this.ownModel?.id !== handler.modelId) {
        const started = performance.now();
        const model = Promise.resolve().then(() => handler.loadModel());
        const own: { id: string; model: Promise<M>; loaded?: { model: M } } = { id: handler.modelId, model };
        this.ownModel = own;
        own.loaded = { model: await model };
        this.recordLoad(performance.now() - started);
      }
      return this.ownModel.model;
    }
    const acquired = await acquireSharedModel(handler.modelId, () => handler.loadModel());
    if (acquired.loadedInMs !== undefined) this.recordLoad(acquired.loadedInMs);
    return acquired.model;
  }

  private recordLoad(ms: number): void {
    this.metrics?.counter(INFERENCE_METRICS_NAMESPACE, "model_loads").inc();
    this.metrics?.distribution(INFERENCE_METRICS_NAMESPACE, "model_load_ms").update(ms);
  }
}
