import { ConstructionError } from "../model/index.js";
import { AdaptiveThrottler } from "./adaptive-throttler.js";
import type { EnrichmentHandler } from "./enrichment-handler.js";
import { postJson, type HttpCallOptions, type HttpCallStats } from "./http-client.js";
import type { ModelHandler } from "./model-handler.js";

/** The client of a remote handler: its throttler is shared by the calls of every DoFn instance of the process. */
interface HttpClient {
  readonly throttler: AdaptiveThrottler | undefined;
  readonly stats: HttpCallStats;
}

function checkUrl(what: string, url: unknown): void {
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) throw new ConstructionError(`${what} needs { url: "http(s)://…" }, got ${String(url)}.`);
}

/**
 * A ModelHandler for a remote inference endpoint (Beam's RemoteModelHandler): each batch is
 * one POST of `{ "instances": [...] }` answered by `{ "predictions": [...] }` (the TF
 * Serving / Vertex AI convention), with timeouts, retries with backoff and client-side
 * adaptive throttling when the server rejects (see HttpCallOptions). The "model" is the
 * client, shared per process.
 *
 * @example
 * const scored = rows.apply(runInference(httpModelHandler<number[], number>({ url: "http://scorer:8080/v1/models/m:predict" }), { batch: { maxSize: 32 } }));
 */
export function httpModelHandler<E, I>(options: HttpCallOptions & { readonly maxBatchSize?: number; readonly maxConcurrentBatches?: number }): ModelHandler<E, I, HttpClient> {
  checkUrl("httpModelHandler", options?.url);
  return {
    modelId: options.url,
    // Requests wait on the network, not on local cores: several may be in flight.
    maxConcurrentBatches: options.maxConcurrentBatches ?? 4,
    ...(options.maxBatchSize !== undefined ? { batchSizeHints: { maxSize: options.maxBatchSize } } : {}),
    loadModel: () => ({ throttler: options.throttle === false ? undefined : new AdaptiveThrottler(), stats: { retries: 0, throttledMs: 0 } }),
    async runInference(batch, client) {
      const answer = (await postJson(options, { instances: batch }, client.throttler, client.stats)) as { predictions?: unknown };
      if (!Array.isArray(answer?.predictions)) throw new Error(`${options.url} answered without a "predictions" array.`);
      return answer.predictions as I[];
    },
    withModelId: (url) => httpModelHandler<E, I>({ ...options, url }),
  };
}

/**
 * An EnrichmentHandler over HTTP: each lookup is one POST of `{ "keys": [...] }` answered by
 * `{ "values": [...] }`, one value (or null when missing) per key, with the same timeouts,
 * retries and throttling as httpModelHandler.
 *
 * @example
 * const withProfiles = events.apply(enrich(httpEnrichmentHandler<Profile>({ url: "http://profiles/lookup" }), { key: (e) => e.user, joinFn: (e, p) => ({ ...e, p }) }));
 */
export function httpEnrichmentHandler<Resp>(options: HttpCallOptions & { readonly maxBatchSize?: number }): EnrichmentHandler<Resp, HttpClient> {
  checkUrl("httpEnrichmentHandler", options?.url);
  return {
    id: options.url,
    ...(options.maxBatchSize !== undefined ? { maxBatchSize: options.maxBatchSize } : {}),
    open: () => ({ throttler: options.throttle === false ? undefined : new AdaptiveThrottler(), stats: { retries: 0, throttledMs: 0 } }),
    async lookup(client, keys) {
      const answer = (await postJson(options, { keys }, client.throttler, client.stats)) as { values?: unknown };
      if (!Array.isArray(answer?.values)) throw new Error(`${options.url} answered without a "values" array.`);
      return (answer.values as (Resp | null)[]).map((v) => (v === null ? undefined : v));
    },
  };
}
