import { Lineage, lineageName, type LineageDirection } from "../../metrics/index.js";
import type { PostgresConnection } from "./connection.js";

/**
 * A table as lineage, as Beam's JdbcIO reports PostgreSQL: system `postgres`, then
 * `host:port`, the database, the schema (`public` when the name has none) and the table.
 * Host, port and database come from the connection's fields, else its connection string
 * (a Secret is read only for them: the password never leaves it).
 */
export function postgresLineage(direction: LineageDirection, connection: PostgresConnection, table: string): void {
  const url = connectionUrl(connection);
  const host = connection.host ?? (url?.hostname || "localhost");
  const port = connection.port ?? (url?.port ? Number(url.port) : 5432);
  const database = connection.database ?? (url?.pathname.replace(/^\//, "") || connection.user || "postgres");
  const parts = table.split(".").map((p) => p.replace(/^"|"$/g, ""));
  const [schema, name] = parts.length > 1 ? [parts[0]!, parts.slice(1).join(".")] : ["public", parts[0]!];
  Lineage.add(direction, lineageName("postgres", [`${host}:${port}`, database, schema, name]));
}

function connectionUrl(connection: PostgresConnection): URL | undefined {
  const cs = connection.connectionString;
  const text = typeof cs === "string" ? cs : cs?.reveal();
  if (text === undefined || !/^postgres(ql)?:\/\//.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
