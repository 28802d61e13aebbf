// PostgreSQL IO: partitioned, streaming reads and transactional writes (Beam's JdbcIO for PostgreSQL).
export {
  readFromPostgres,
  POSTGRES_METRICS_NAMESPACE,
  type PostgresColumn,
  type PostgresRow,
  type ReadFromPostgresOptions,
} from "./read-postgres.js";
export {
  writeToPostgres,
  type PostgresBadRecords,
  type PostgresWriteMode,
  type WriteToPostgresOptions,
  type WriteToPostgresResult,
} from "./write-postgres.js";
export { inferPostgresSchema, type InferPostgresSchemaOptions } from "./infer-schema.js";
export { redactConnectionString, type PostgresConnection, type PostgresSsl } from "./connection.js";
export { PostgresIOError } from "./postgres-io-error.js";
export { POSTGRES_RECONNECTS_METRIC, POSTGRES_RETRIES_METRIC } from "./reconnect.js";
export { postgresEnrichmentHandler, type PostgresEnrichmentOptions } from "./postgres-enrichment-handler.js";
