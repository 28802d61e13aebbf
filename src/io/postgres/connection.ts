import type { Pool, PoolClient, PoolConfig } from "pg";
import { ConstructionError, Secret } from "../../model/index.js";
import type { DoFnMetrics } from "../../transforms/index.js";
import { PostgresIOError, describeServerError, messageOf, sqlStateOf } from "./postgres-io-error.js";
import { DEFAULT_RECONNECT_RETRIES, isConnectionLost, noteConnectionLost, openWithRetry } from "./reconnect.js";

/** TLS settings, passed to Node's `tls.connect` by the `pg` client. */
export interface PostgresSsl {
  /** Refuse a server certificate not signed by a trusted CA (default true). */
  readonly rejectUnauthorized?: boolean;
  /** PEM CA certificate(s) to trust. */
  readonly ca?: string;
  /** PEM client certificate (with `key`, for certificate authentication). */
  readonly cert?: string;
  /** PEM private key of the client certificate. */
  readonly key?: Secret<string>;
}

/**
 * Where and how to connect: either `connectionString` (libpq's URL or key=value form), or
 * host, port, database and user, with the password as a Secret. Settings given beside a
 * connection string override it. A password in a connection string is never printed:
 * messages show the string with `****` in its place.
 *
 * @example
 * const connection: PostgresConnection = { host: "db.internal", database: "shop", user: "etl", password: new Secret(process.env.PGPASSWORD ?? "") };
 */
export interface PostgresConnection {
  /** `postgresql://user:password@host:5432/db?sslmode=require`; a Secret when it holds a password. */
  readonly connectionString?: string | Secret<string>;
  /** Default "localhost" (or the connection string's). */
  readonly host?: string;
  /** Default 5432. */
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  /** The password, as a Secret so that it never shows in messages, logs or the pipeline graph. */
  readonly password?: Secret<string>;
  /** `true` for TLS with the system's CAs, or TLS settings. */
  readonly ssl?: boolean | PostgresSsl;
  /** PostgreSQL's application_name, shown in pg_stat_activity (default "beam-ts"). */
  readonly applicationName?: string;
  /** How long to wait for a connection to open, in ms (default 10 000). */
  readonly connectTimeoutMillis?: number;
  /** Connections each reading or writing DoFn instance may hold (default 2). */
  readonly maxConnections?: number;
  /**
   * After a step lost its connection while running (the server went away), how many more
   * times it tries to open one again, waiting 100 ms doubling up to 5 s in between (default
   * 6: about 6 s), before its bundle fails. A server down from the start fails at once.
   */
  readonly reconnectRetries?: number;
}

const REDACTED = "****";

/** Checks a connection at construction time; `what` names the transform in messages. */
export function checkConnection(what: string, connection: PostgresConnection | undefined): PostgresConnection {
  if (connection === undefined || typeof connection !== "object") {
    throw new ConstructionError(`${what} needs { connection: { host, database, user, password } } or { connection: { connectionString } }.`);
  }
  if (typeof connection.password === "string") {
    throw new ConstructionError(`${what}: pass the password as a Secret (new Secret(value)), so that it is never printed.`);
  }
  const cs = connection.connectionString;
  if (cs !== undefined && !Secret.isSecret(cs) && typeof cs !== "string") {
    throw new ConstructionError(`${what}: connectionString must be a string or a Secret, got ${typeof cs}.`);
  }
  for (const [name, value] of [
    ["port", connection.port],
    ["connectTimeoutMillis", connection.connectTimeoutMillis],
    ["maxConnections", connection.maxConnections],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new ConstructionError(`${what}: connection.${name} must be a positive integer, got ${String(value)}.`);
    }
  }
  const retries = connection.reconnectRetries;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new ConstructionError(`${what}: connection.reconnectRetries must be an integer of at least 0, got ${String(retries)}.`);
  }
  return connection;
}

/** The connection string's text (revealed when a Secret). */
function connectionStringOf(connection: PostgresConnection): string | undefined {
  const cs = connection.connectionString;
  return cs === undefined ? undefined : Secret.isSecret(cs) ? String((cs as Secret<unknown>).reveal()) : cs;
}

/**
 * A connection string with its password replaced by `****`, in both the URL form
 * (`postgresql://user:****@host/db`, `?password=****`) and the key=value form.
 *
 * @example redactConnectionString("postgresql://etl:hunter2@db/shop") // "postgresql://etl:****@db/shop"
 */
export function redactConnectionString(text: string): string {
  return text
    .replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*:)[^@/?#]*@/i, `$1${REDACTED}@`)
    .replace(/([?&]password=)[^&#]*/gi, `$1${REDACTED}`)
    .replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, `$1${REDACTED}`);
}

/** Where a connection goes, for messages: `postgresql://etl@127.0.0.1:5432/shop`, never a password. */
export function describeConnection(connection: PostgresConnection): string {
  const cs = connectionStringOf(connection);
  const base = cs === undefined ? undefined : redactConnectionString(cs);
  const host = connection.host ?? (base === undefined ? "localhost" : undefined);
  const port = connection.port ?? (base === undefined ? 5432 : undefined);
  const overrides = [
    host !== undefined ? `host ${host}` : undefined,
    port !== undefined ? `port ${port}` : undefined,
    connection.database !== undefined ? `database ${connection.database}` : undefined,
    connection.user !== undefined ? `user ${connection.user}` : undefined,
  ].filter((s): s is string => s !== undefined);
  if (base === undefined) {
    return `postgresql://${connection.user === undefined ? "" : `${connection.user}@`}${host}:${port}/${connection.database ?? ""}`;
  }
  return overrides.length === 0 ? base : `${base} (with ${overrides.join(", ")})`;
}

/** The secrets of a connection, so that messages from the driver can be scrubbed of them. */
function secretsOf(connection: PostgresConnection): string[] {
  const out: string[] = [];
  if (connection.password !== undefined) out.push(String(connection.password.reveal()));
  const cs = connectionStringOf(connection);
  if (cs !== undefined) {
    const url = /^postgres(?:ql)?:\/\/[^:@/?#]*:([^@/?#]*)@/i.exec(cs);
    if (url?.[1]) {
      out.push(url[1]);
      try {
        out.push(decodeURIComponent(url[1]));
      } catch {
        // not URI-encoded
      }
    }
    for (const m of cs.matchAll(/(?:[?&]|\b)password\s*=\s*('(?:[^'\\]|\\.)*'|[^&\s]+)/gi)) out.push(m[1]!.replace(/^'|'$/g, ""));
  }
  return out.filter((s) => s.length > 0);
}

/** `text` with every secret of `connection` replaced by `****` (driver messages may echo settings). */
export function scrub(connection: PostgresConnection, text: string): string {
  let out = text;
  for (const secret of secretsOf(connection)) out = out.split(secret).join(REDACTED);
  return out;
}

type PgModule = typeof import("pg");

/**
 * Imports an optional peer dependency of the connector when it first runs, or fails naming
 * the package to install.
 */
export async function importPeer<M>(name: string, load: () => Promise<M>, what: string): Promise<M> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new PostgresIOError(`${what} needs the "${name}" package, an optional peer dependency of beam-ts: npm install ${name}`, {
        cause: err,
        retryable: false,
      });
    }
    throw err;
  }
}

/** The `pg` module, imported on first use. */
export async function loadPg(what: string): Promise<PgModule> {
  const mod: unknown = await importPeer("pg", () => import("pg"), what);
  return ((mod as { default?: PgModule }).default ?? mod) as PgModule;
}

/** pg's pool settings for `connection`; the password is read only when a connection opens. */
export function poolConfig(connection: PostgresConnection): PoolConfig {
  const cs = connectionStringOf(connection);
  const ssl = connection.ssl;
  const password = connection.password;
  return {
    ...(cs === undefined ? {} : { connectionString: cs }),
    ...(connection.host === undefined ? {} : { host: connection.host }),
    ...(connection.port === undefined ? {} : { port: connection.port }),
    ...(connection.database === undefined ? {} : { database: connection.database }),
    ...(connection.user === undefined ? {} : { user: connection.user }),
    ...(password === undefined ? {} : { password: () => String(password.reveal()) }),
    ...(ssl === undefined
      ? {}
      : {
          ssl:
            typeof ssl === "boolean"
              ? ssl
              : {
                  ...(ssl.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: ssl.rejectUnauthorized }),
                  ...(ssl.ca === undefined ? {} : { ca: ssl.ca }),
                  ...(ssl.cert === undefined ? {} : { cert: ssl.cert }),
                  ...(ssl.key === undefined ? {} : { key: ssl.key.reveal() }),
                },
        }),
    application_name: connection.applicationName ?? "beam-ts",
    connectionTimeoutMillis: connection.connectTimeoutMillis ?? 10_000,
    max: connection.maxConnections ?? 2,
  };
}

/** A pool of connections held by one DoFn instance (opened in setup, ended in teardown). */
export async function openPool(connection: PostgresConnection, what: string): Promise<Pool> {
  const pg = await loadPg(what);
  const pool = new pg.Pool(poolConfig(connection));
  // An idle connection the server drops must not crash the process: the next query fails
  // instead, and the step's next connection is retried and counted (reconnect.ts).
  pool.on("error", (err) => {
    if (isConnectionLost(err)) noteConnectionLost(stepKey(connection, what));
  });
  return pool;
}

/** Why a connection could not open, with the address and a hint (never a password). */
export function connectError(connection: PostgresConnection, what: string, err: unknown): PostgresIOError {
  const where = describeConnection(connection);
  const code = (err as { code?: string }).code;
  const nested = (err as { errors?: unknown[] }).errors;
  const reason = messageOf(err) || (Array.isArray(nested) ? nested.map(messageOf).join("; ") : String(code ?? "unknown error"));
  const state = sqlStateOf(err);
  let hint: string;
  // A certificate the client does not trust is refused the same way on every attempt.
  let permanent = false;
  if (code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENOTFOUND" || code === "ETIMEDOUT" || /timeout/i.test(reason)) {
    hint = "Is the server running and listening on that host and port (listen_addresses, port in postgresql.conf), and does a firewall let you through?";
  } else if (state === "28P01" || state === "28000") {
    hint = "Check the user and password (connection.password, a Secret), and pg_hba.conf for this host.";
  } else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(String(code ?? "")) || /certificate|self[- ]signed/i.test(reason)) {
    hint =
      "The server's TLS certificate was not accepted: give connection.ssl.ca the PEM of the CA that signed it (its name must match connection.host); " +
      "rejectUnauthorized: false skips the check, for tests only.";
    permanent = true;
  } else if (/does not support SSL|SSL off|no pg_hba.conf entry.*SSL off/i.test(reason)) {
    hint = "The server does not accept TLS here: turn ssl on in postgresql.conf (ssl_cert_file, ssl_key_file) or drop connection.ssl.";
  } else if (state === "3D000") {
    hint = "Create the database or fix connection.database.";
  } else {
    hint = "Check the connection settings.";
  }
  return new PostgresIOError(scrub(connection, `${what}: cannot connect to PostgreSQL at ${where}: ${reason}. ${hint}`), { cause: err, ...(permanent ? { retryable: false } : {}) });
}

/** Which step at which address, for the bookkeeping of lost connections (reconnect.ts). */
function stepKey(connection: PostgresConnection, what: string): string {
  return `${what} ${describeConnection(connection)}`;
}

/**
 * A client from `pool`, or a PostgresIOError naming the address and a hint. When the step
 * lost a connection before, retried with backoff (`reconnectRetries`) and counted in
 * `metrics` (reconnect.ts).
 */
export async function connectClient(pool: Pool, connection: PostgresConnection, what: string, metrics?: DoFnMetrics): Promise<PoolClient> {
  const key = stepKey(connection, what);
  let client: PoolClient;
  try {
    client = await openWithRetry(() => pool.connect(), key, connection.reconnectRetries ?? DEFAULT_RECONNECT_RETRIES, metrics);
  } catch (err) {
    throw connectError(connection, what, err);
  }
  // The pool listens for errors of idle clients only. A client the step holds between
  // bundles (a writer's open transaction, a reader's cursor) that the server ends (a restart,
  // pg_terminate_backend) emits "error" with nobody listening, which would crash the
  // process. Its next query fails instead, and the next connection is retried and counted.
  const onError = (err: Error) => {
    if (isConnectionLost(err)) noteConnectionLost(key);
  };
  client.on("error", onError);
  const release = client.release;
  client.release = (err?: Error | boolean) => {
    client.removeListener("error", onError);
    release.call(client, err);
  };
  return client;
}

/** A failed query as a PostgresIOError: the step, the server's words (scrubbed) and `fix`. */
export function queryError(connection: PostgresConnection, what: string, doing: string, err: unknown, fix = ""): PostgresIOError {
  const state = sqlStateOf(err);
  const message = `${what}: ${doing} failed on ${describeConnection(connection)}: ${describeServerError(err)}.${fix ? ` ${fix}` : ""}`;
  // The next connection of this step is then retried with backoff and counted (reconnect.ts).
  if (isConnectionLost(err)) noteConnectionLost(stepKey(connection, what));
  // Errors of the statement itself (syntax 42xxx, data 22xxx, constraints 23xxx) do not go away on retry.
  const permanent = state !== undefined && (state.startsWith("42") || state.startsWith("22") || state.startsWith("23"));
  return new PostgresIOError(scrub(connection, message), { cause: err, ...(permanent ? { retryable: false } : {}), ...(state ? { sqlState: state } : {}) });
}
