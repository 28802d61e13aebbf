// Machine learning in pipelines: RunInference (batched, shared models) and Enrichment.
export type { InferenceFailure, ModelHandler, PredictionResult } from "./model-handler.js";
export { runInference, RunInference, INFERENCE_METRICS_NAMESPACE, type RunInferenceOptions } from "./run-inference.js";
export { clearSharedModels } from "./shared-models.js";
export type { BatchSizeBounds } from "./batch-size-estimator.js";
export { onnxModelHandler, OnnxError, type OnnxExample, type OnnxInference, type OnnxInputType, type OnnxModelHandlerOptions } from "./onnx-model-handler.js";
export { httpModelHandler, httpEnrichmentHandler } from "./http-handlers.js";
export { HttpCallError, type HttpCallOptions } from "./http-client.js";
export { AdaptiveThrottler } from "./adaptive-throttler.js";
export type { EnrichmentHandler } from "./enrichment-handler.js";
export { enrich, ENRICHMENT_METRICS_NAMESPACE, type EnrichOptions, type EnrichmentFailure, type OnMissing } from "./enrich.js";
export { clearEnrichmentCaches } from "./enrichment-cache.js";
export { keyedModelHandler, type KeyedModelHandlerOptions } from "./keyed-model-handler.js";
