import type { Pool } from "pg";
import type { EnrichmentHandler } from "../../ml/index.js";
import { checkConnection, describeConnection, openPool, queryError, type PostgresConnection } from "./connection.js";
import { checkColumns, checkTableName, quoteIdentifier } from "./sql.js";

/** Options of `postgresEnrichmentHandler`. */
export interface PostgresEnrichmentOptions {
  readonly connection: PostgresConnection;
  /** The table looked up: `customers`, `shop.customers`. */
  readonly table: string;
  /** The column holding the key (compared as text, so numbers and strings both work). */
  readonly keyColumn: string;
  /** Columns of the response (default all: `*`). */
  readonly columns?: readonly string[];
  /** Keys per query (default 500). */
  readonly maxBatchSize?: number;
}

/**
 * An EnrichmentHandler on a PostgreSQL table (Beam Python's CloudSQLEnrichmentHandler): a
 * batch of keys is one `SELECT … WHERE key::text = ANY($1)` query; each key's response is
 * its row (the first, when the key is not unique), undefined when there is none. Each DoFn
 * instance holds a pool of `connection.maxConnections` connections.
 *
 * @example
 * orders.apply(enrich(postgresEnrichmentHandler({ connection, table: "customers", keyColumn: "id" }), { key: (o) => o.customerId, joinFn: (o, c) => ({ ...o, customer: c }) }));
 */
export function postgresEnrichmentHandler(options: PostgresEnrichmentOptions): EnrichmentHandler<Record<string, unknown>, Pool> {
  const what = "postgresEnrichmentHandler";
  const connection = checkConnection(what, options?.connection);
  const table = checkTableName(what, options.table);
  const [keyColumn] = checkColumns(what, "keyColumn", [options.keyColumn]);
  const columns = options.columns === undefined ? "*" : checkColumns(what, "columns", options.columns).map(quoteIdentifier).join(", ");
  // The key is selected under a name of its own, so that it is there whatever `columns` holds.
  const sql = `SELECT ${quoteIdentifier(keyColumn!)}::text AS "__beam_key", ${columns} FROM ${table} WHERE ${quoteIdentifier(keyColumn!)}::text = ANY($1::text[])`;
  return {
    id: `postgres:${describeConnection(connection)}/${table}.${keyColumn}`,
    maxBatchSize: options.maxBatchSize ?? 500,
    open: () => openPool(connection, what),
    async lookup(pool, keys) {
      let rows: Record<string, unknown>[];
      try {
        rows = (await pool.query<Record<string, unknown>>(sql, [keys])).rows;
      } catch (err) {
        throw queryError(connection, what, `looking up ${keys.length} keys in ${table}`, err);
      }
      const byKey = new Map<string, Record<string, unknown>>();
      for (const { __beam_key: key, ...row } of rows) if (!byKey.has(String(key))) byKey.set(String(key), row);
      return keys.map((k) => byKey.get(k));
    },
    close: (pool) => pool.end(),
  };
}
