/**
 * Models shared by every DoFn instance of a process, as Beam Python's `shared.Shared`: a
 * module-level cache keyed by model id. A worker thread under `--parallelism` is its own
 * module instance, so it loads its own copy (the memory cost is one model per thread; see
 * docs/ML.md). A load that fails is forgotten, so the retried bundle loads again.
 */
const models = new Map<string, Promise<unknown>>();
/** The models whose load finished, for callers that need no promise once a model is there (a batch's hot path). */
const loaded = new Map<string, { readonly model: unknown }>();

/** What acquiring a model did: whether this call loaded it, and how long the load took. */
export interface AcquiredModel<Model> {
  readonly model: Model;
  /** Milliseconds the load took when this call loaded the model; undefined when it was cached. */
  readonly loadedInMs: number | undefined;
}

/** The model for `key`, loading it with `load` the first time. Concurrent callers share one load. */
export async function acquireSharedModel<Model>(key: string, load: () => Model | Promise<Model>): Promise<AcquiredModel<Model>> {
  const cached = models.get(key);
  if (cached !== undefined) return { model: (await cached) as Model, loadedInMs: undefined };
  const started = performance.now();
  const loading = Promise.resolve().then(load);
  models.set(key, loading);
  try {
    const model = await loading;
    if (models.get(key) === loading) loaded.set(key, { model });
    return { model, loadedInMs: performance.now() - started };
  } catch (err) {
    if (models.get(key) === loading) models.delete(key);
    throw err;
  }
}

/** The model for `key` if its load has finished (no promise, no await), else undefined. */
export function loadedSharedModel<Model>(key: string): { readonly model: Model } | undefined {
  return loaded.get(key) as { readonly model: Model } | undefined;
}

/** Drops every shared model (tests, and a process that wants its memory back). */
export function clearSharedModels(): void {
  models.clear();
  loaded.clear();
}
