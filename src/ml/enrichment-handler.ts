/**
 * Beam Python's EnrichmentSourceHandler: how Enrichment looks requests up in an external
 * system. beam-ts ships handlers for PostgreSQL (`postgresEnrichmentHandler` in
 * beam-ts/io/postgres), Redis (`redisEnrichmentHandler` in beam-ts/io/redis) and HTTP
 * (`httpEnrichmentHandler`); users implement this for other systems.
 *
 * `open` is called once per DoFn instance (in setup) and `close` in teardown; `lookup` gets
 * a batch of distinct keys (up to `maxBatchSize`) and answers each with a response or
 * undefined when the backend has none. Lookups that fail throw: the bundle is retried.
 *
 * @example
 * const prices: EnrichmentHandler<number, Map<string, number>> = {
 *   id: "prices",
 *   open: async () => new Map([["apple", 3]]),
 *   lookup: (table, keys) => keys.map((k) => table.get(k)),
 * };
 */
export interface EnrichmentHandler<Resp, Session = unknown> {
  /** Names the handler's data: the shared cache is per id (two handlers over one table may share it). */
  readonly id: string;
  open(): Session | Promise<Session>;
  lookup(session: Session, keys: readonly string[]): readonly (Resp | undefined)[] | Promise<readonly (Resp | undefined)[]>;
  close?(session: Session): void | Promise<void>;
  /** The most keys one lookup may take (a server's limit); default 100. */
  readonly maxBatchSize?: number;
  /** Lookups that may run at once in a process (default 4). */
  readonly maxConcurrentLookups?: number;
}
