/**
 * The lookup cache of Enrichment, shared by every DoFn instance of a process (per worker
 * thread) for one handler, as Beam Python's Enrichment caches through a shared client:
 * entries expire `ttlMs` after they were fetched, and past `maxEntries` the least recently
 * used goes. A key being fetched is shared too (`pending`), so concurrent batches asking
 * for the same key cause one lookup. Missing keys are cached like found ones: a key absent
 * from the backend is not asked for again within the TTL.
 */
export class EnrichmentCache<Resp> {
  private readonly entries = new Map<string, { value: Resp | undefined; expires: number }>();
  /** Lookups in flight, by key. */
  readonly pending = new Map<string, Promise<Resp | undefined>>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached answer (`{ value }`, value undefined for a missing key), or undefined when not cached. */
  get(key: string): { value: Resp | undefined } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Map order is insertion order: re-inserting marks the entry most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { value: entry.value };
  }

  set(key: string, value: Resp | undefined): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

const caches = new Map<string, EnrichmentCache<unknown>>();

/** The process's cache for `id` (a handler and its cache settings), made on first use. */
export function sharedEnrichmentCache<Resp>(id: string, ttlMs: number, maxEntries: number): EnrichmentCache<Resp> {
  let cache = caches.get(id);
  if (cache === undefined) caches.set(id, (cache = new EnrichmentCache<unknown>(ttlMs, maxEntries)));
  return cache as EnrichmentCache<Resp>;
}

/** Drops every shared cache (tests). */
export function clearEnrichmentCaches(): void {
  caches.clear();
}
