/**
 * Beam's ModelHandler: what RunInference needs to know about a model framework. beam-ts
 * ships an ONNX handler (`onnxModelHandler`) and a remote HTTP one (`httpModelHandler`);
 * users implement this interface for their own frameworks.
 *
 * `loadModel` is called once per process for a given `modelId` (the model is shared by
 * every DoFn instance of the worker, see shared-models.ts), so it must not depend on the
 * DoFn instance; `runInference` must return one inference per example, in order.
 *
 * @example
 * const doubler: ModelHandler<number, number, { factor: number }> = {
 *   modelId: "doubler-v1",
 *   loadModel: () => ({ factor: 2 }),
 *   runInference: (batch, model) => batch.map((x) => x * model.factor),
 * };
 */
export interface ModelHandler<Example, Inference, Model = unknown> {
  /** Names the model (its path or version): the key of the shared cache and PredictionResult.modelId. */
  readonly modelId: string;
  /** Loads the model; called once per process (or per DoFn instance, see `shareScope`). */
  loadModel(): Model | Promise<Model>;
  /** Runs one batch; returns one inference per example, in the examples' order. `batch` is RunInference's own buffer: read it, never change it. */
  runInference(batch: readonly Example[], model: Model): readonly Inference[] | Promise<readonly Inference[]>;
  /** Bounds the handler imposes on batch sizes (a server's limit, a model's fixed batch dimension). */
  readonly batchSizeHints?: { readonly minSize?: number; readonly maxSize?: number };
  /**
   * "process" (default): one model per process (per worker thread), shared by every DoFn
   * instance, as Beam Python's shared.Shared. "instance": one per DoFn instance, for models
   * that are not safe to call concurrently.
   */
  readonly shareScope?: "process" | "instance";
  /**
   * Batches of this model that may run at once in a process (default 1: a local model uses
   * every core for one batch; a remote one may want more requests in flight).
   */
  readonly maxConcurrentBatches?: number;
  /**
   * The same handler for another model (Beam's update_model_path), used when a model-update
   * side input names a new path. Handlers without it cannot be updated.
   */
  withModelId?(modelId: string): ModelHandler<Example, Inference, Model>;
  /** The model that handles `example`, when it is not `modelId` (keyed models); for PredictionResult.modelId. */
  modelIdOf?(example: Example): string;
  /** Releases a model evicted from a cache (keyed models); optional. */
  releaseModel?(model: Model): void | Promise<void>;
}

/** What RunInference outputs for each example (Beam's PredictionResult). */
export interface PredictionResult<Example, Inference> {
  readonly example: Example;
  readonly inference: Inference;
  /** The model that produced `inference`: changes when a model update switched models. */
  readonly modelId: string;
}

/** A failed example, on RunInference's failures output. */
export interface InferenceFailure<Example> {
  readonly example: Example;
  /** The model the failing batch ran on. */
  readonly modelId: string;
  readonly error: { readonly type: string; readonly message: string };
  /** How many examples the failing batch had. */
  readonly batchSize: number;
}
