import { ConstructionError, kv, type KV } from "../model/index.js";
import type { ModelHandler } from "./model-handler.js";

/** Options of `keyedModelHandler`. */
export interface KeyedModelHandlerOptions {
  /** Models kept loaded at once (default 4); past it the least recently used is released. */
  readonly maxLoadedModels?: number;
  /** Names the keyed handler (its shared cache key); default "keyed". */
  readonly id?: string;
}

/** The loaded models of a keyed handler, least recently used first; a model in use is released only once its batches end. */
class ModelCache<M> {
  private readonly entries = new Map<string, { model: Promise<M>; users: number; evicted: boolean; handler: ModelHandler<unknown, unknown, M> }>();
  loads = 0;

  constructor(private readonly max: number) {}

  async use<T>(handler: ModelHandler<unknown, unknown, M>, run: (model: M) => Promise<T>): Promise<T> {
    let entry = this.entries.get(handler.modelId);
    if (entry === undefined) {
      this.loads++;
      entry = { model: Promise.resolve().then(() => handler.loadModel()), users: 0, evicted: false, handler };
      entry.model.catch(() => this.entries.delete(handler.modelId));
    } else {
      this.entries.delete(handler.modelId);
    }
    this.entries.set(handler.modelId, entry);
    this.evict();
    entry.users++;
    try {
      return await run(await entry.model);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await release(entry);
    }
  }

  private evict(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.max) return;
      this.entries.delete(id);
      entry.evicted = true;
      if (entry.users === 0) void release(entry);
    }
  }
}

async function release<M>(entry: { model: Promise<M>; handler: ModelHandler<unknown, unknown, M> }): Promise<void> {
  const model = await entry.model.catch(() => undefined);
  if (model !== undefined) await entry.handler.releaseModel?.(model);
}

/**
 * Beam's KeyedModelHandler with per-key models: examples are KVs, the key picks the model
 * (`handlerFor(key)`, e.g. a model per customer or language), and each inference keeps its
 * key. Models are loaded lazily on their key's first batch and at most `maxLoadedModels`
 * stay loaded (least recently used released); the cache is shared by the process's DoFn
 * instances like any model. A batch with several keys runs one sub-batch per model.
 * PredictionResult.modelId names the key's model.
 *
 * @example
 * const scored = byLanguage.apply(runInference(keyedModelHandler((lang: string) => onnxModelHandler({ path: `models/${lang}.onnx` }), { maxLoadedModels: 3 })));
 */
export function keyedModelHandler<K, E, I, M>(
  handlerFor: (key: K) => ModelHandler<E, I, M>,
  options: KeyedModelHandlerOptions = {},
): ModelHandler<KV<K, E>, KV<K, I>, ModelCache<M>> {
  const max = options.maxLoadedModels ?? 4;
  if (!Number.isInteger(max) || max < 1) throw new ConstructionError(`keyedModelHandler: maxLoadedModels must be an integer >= 1, got ${max}.`);
  return {
    modelId: options.id ?? "keyed",
    loadModel: () => new ModelCache<M>(max),
    async runInference(batch, cache) {
      const groups = new Map<string, { handler: ModelHandler<E, I, M>; at: number[] }>();
      batch.forEach((e, i) => {
        const handler = handlerFor(e.key);
        const group = groups.get(handler.modelId) ?? { handler, at: [] };
        group.at.push(i);
        groups.set(handler.modelId, group);
      });
      const out = new Array<KV<K, I>>(batch.length);
      await Promise.all(
        [...groups.values()].map(({ handler, at }) =>
          cache.use(handler as ModelHandler<unknown, unknown, M>, async (model) => {
            const inferences = await handler.runInference(at.map((i) => batch[i]!.value), model);
            at.forEach((i, j) => (out[i] = kv(batch[i]!.key, inferences[j]!)));
          }),
        ),
      );
      return out;
    },
    modelIdOf: (example) => handlerFor(example.key).modelId,
  };
}
