import { ConstructionError, RowSchema, type Field } from "../../model/index.js";
import { checkConnection, connectClient, openPool, queryError, type PostgresConnection } from "./connection.js";
import { readSource } from "./partitions.js";
import { checkTableName } from "./sql.js";
import { POSTGRES_TYPES, schemaTypeOf } from "./type-mapping.js";

/** Options of inferPostgresSchema: what to read, as for readFromPostgres. */
export interface InferPostgresSchemaOptions {
  readonly connection: PostgresConnection;
  readonly query?: string;
  readonly table?: string;
  /** Starts the field paths of error messages (default "row"). */
  readonly name?: string;
}

/**
 * The Beam schema of a query's or table's rows, from the column types the server reports
 * (the query is described, not run: `LIMIT 0`). A column is nullable unless it is a table
 * column declared NOT NULL. Types map as readFromPostgres reads them (README.md, "Types");
 * types outside the mapping are STRING (their text). Call it before building the pipeline
 * and pass the result as readFromPostgres's `schema` (Beam's JdbcIO.readRows infers its
 * schema the same way, when the pipeline is built).
 *
 * @example
 * const Orders = await inferPostgresSchema({ connection, table: "orders" });
 * const rows = p.apply(readFromPostgres({ connection, table: "orders", schema: Orders }));
 */
export async function inferPostgresSchema(options: InferPostgresSchemaOptions): Promise<RowSchema<Readonly<Record<string, unknown>>>> {
  const what = "inferPostgresSchema";
  const connection = checkConnection(what, options.connection);
  if ((options.query === undefined) === (options.table === undefined)) {
    throw new ConstructionError(`${what} needs exactly one of query and table.`);
  }
  if (options.table !== undefined) checkTableName(what, options.table);
  const pool = await openPool(connection, what);
  try {
    const client = await connectClient(pool, connection, what);
    try {
      const text = `SELECT * FROM ${readSource(options)} LIMIT 0`;
      const result = await client.query({ text, types: POSTGRES_TYPES }).catch((err: unknown) => {
        throw queryError(connection, what, `describing ${text}`, err);
      });
      const fromTables = result.fields.filter((f) => f.tableID !== 0);
      const notNull = new Set<string>();
      if (fromTables.length > 0) {
        const attributes = await client.query<{ key: string }>(
          `SELECT attrelid::text || ':' || attnum::text AS key FROM pg_attribute
            WHERE attnotnull AND (attrelid, attnum) IN (SELECT * FROM unnest($1::oid[], $2::int2[]))`,
          [fromTables.map((f) => f.tableID), fromTables.map((f) => f.columnID)],
        );
        for (const row of attributes.rows) notNull.add(row.key);
      }
      const fields: Field[] = result.fields.map((f) => ({
        name: f.name,
        type: schemaTypeOf(f.dataTypeID, !notNull.has(`${f.tableID}:${f.columnID}`)),
      }));
      return new RowSchema({ fields }, options.name ?? "row");
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
