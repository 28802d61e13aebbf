import { isIP } from "node:net";
import { ConstructionError, Secret, type Duration } from "../../model/index.js";
import { ConnectionHistory } from "../connection-history.js";
import { RedisIOError, messageOf } from "./redis-io-error.js";

/** A setting that may hold a secret: a plain string or a `Secret` (printed as `****`). */
export type SecretOrString = string | Secret<string>;

/** TLS settings of a Redis connection (Node's `tls.connect` options of the same names). */
export interface RedisTlsOptions {
  /** PEM of the certificate authorities to trust (default: Node's bundled roots). */
  readonly ca?: string | Uint8Array;
  /** PEM of the client certificate, for servers that check clients (`tls-auth-clients yes`). */
  readonly cert?: string | Uint8Array;
  /** PEM of the client certificate's private key. */
  readonly key?: SecretOrString;
  /** The name the server's certificate must hold (default: the host). */
  readonly servername?: string;
  /** false accepts any server certificate: for tests only. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Where and how to reach Redis: a `url` (`redis[s]://[[username][:password]@]host[:port][/db]`,
 * a `Secret` when it holds a password), or `host`/`port`/`username`/`password`/`db`/`tls`
 * (Beam's RedisConnectionConfiguration). Settings given next to a url override its parts.
 *
 * @example { url: new Secret(process.env.REDIS_URL!) }
 * @example { host: "cache.internal", port: 6380, password: new Secret(pw), tls: true, db: 2 }
 */
export interface RedisConnection {
  readonly url?: SecretOrString;
  /** Default 127.0.0.1 (Beam's default is localhost). */
  readonly host?: string;
  /** Default 6379. */
  readonly port?: number;
  /** ACL user (Redis 6+); default: the `default` user. */
  readonly username?: string;
  /** The password of `AUTH`. Never printed. */
  readonly password?: SecretOrString;
  /** The database number of `SELECT`; default 0. */
  readonly db?: number;
  /** true or TLS settings: connect with TLS (a `rediss://` url does too). */
  readonly tls?: boolean | RedisTlsOptions;
  /** How long one connection attempt may take, in ms. Default 5000. */
  readonly connectTimeout?: Duration;
  /** Connection attempts repeated when the first fails at start (default 2: 3 in all). */
  readonly connectRetries?: number;
  /**
   * Reconnections tried, with exponential backoff (50 ms doubling to 2 s, plus jitter), when
   * an open connection is lost, or when the step was connected before in this job (its
   * instance was torn down in the outage); past that the step fails and the runner retries its bundle.
   * Default 10 (about 12 s).
   */
  readonly maxReconnectAttempts?: number;
}

/** @internal A RedisConnection checked and with defaults applied. */
export interface ResolvedRedisConnection {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: SecretOrString | undefined;
  readonly db: number;
  readonly tls: RedisTlsOptions | undefined;
  readonly connectTimeout: number;
  readonly connectRetries: number;
  readonly maxReconnectAttempts: number;
  /** The address for messages: `redis://user:****@host:port/db`, never the password. */
  readonly address: string;
}

function reveal(value: SecretOrString): string {
  return Secret.isSecret(value) ? String(value.reveal()) : value;
}

function nonNegativeInteger(what: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new ConstructionError(`${what}: connection.${name} must be an integer >= 0, got ${String(value)}.`);
  return value;
}

/** The parts of a redis[s]:// url; the url itself is never put in a message (it may hold a password). */
function parseUrl(what: string, url: string): { host: string; port: number | undefined; username?: string; password?: string; db?: number; tls: boolean } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConstructionError(
      `${what}: connection.url is not a URL (the value is not shown: it may hold a password). ` +
        `Write it as redis://[[username][:password]@]host[:port][/db] (rediss:// for TLS), or give host and port.`,
    );
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new ConstructionError(`${what}: connection.url must start with redis:// or rediss://, got ${u.protocol}//….`);
  }
  const path = u.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) {
    throw new ConstructionError(`${what}: connection.url's path must be a database number (redis://host:port/2), got "/${path}".`);
  }
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port === "" ? undefined : Number(u.port),
    ...(u.username !== "" ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== "" ? { password: decodeURIComponent(u.password) } : {}),
    ...(path !== "" ? { db: Number(path) } : {}),
    tls: u.protocol === "rediss:",
  };
}

/**
 * Checks a RedisConnection when the pipeline is built and applies the defaults; `what`
 * names the transform for messages.
 */
export function resolveRedisConnection(what: string, connection: RedisConnection | undefined): ResolvedRedisConnection {
  if (typeof connection !== "object" || connection === null) {
    throw new ConstructionError(`${what} needs a connection: { url: "redis://host:6379" } or { host, port, password, db, tls }.`);
  }
  const fromUrl = connection.url === undefined ? undefined : parseUrl(what, reveal(connection.url));
  const host = connection.host ?? fromUrl?.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") throw new ConstructionError(`${what}: connection.host must be a non-empty string, got ${String(host)}.`);
  const port = connection.port ?? fromUrl?.port ?? 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConstructionError(`${what}: connection.port must be an integer from 1 to 65535, got ${String(port)}.`);
  }
  const db = nonNegativeInteger(what, "db", connection.db ?? fromUrl?.db, 0);
  const username = connection.username ?? fromUrl?.username;
  const password = connection.password ?? fromUrl?.password;
  if (password !== undefined && typeof password !== "string" && !Secret.isSecret(password)) {
    throw new ConstructionError(`${what}: connection.password must be a string or a Secret (new Secret(value)).`);
  }
  const tlsOption = connection.tls ?? (fromUrl?.tls === true ? true : undefined);
  const tls = tlsOption === true ? {} : tlsOption === false || tlsOption === undefined ? undefined : tlsOption;
  const connectTimeout = nonNegativeInteger(what, "connectTimeout", connection.connectTimeout, 5000);
  const connectRetries = nonNegativeInteger(what, "connectRetries", connection.connectRetries, 2);
  const maxReconnectAttempts = nonNegativeInteger(what, "maxReconnectAttempts", connection.maxReconnectAttempts, 10);
  const scheme = tls !== undefined ? "rediss" : "redis";
  const auth = password !== undefined ? `${username !== undefined ? encodeURIComponent(username) : ""}:****@` : username !== undefined ? `${encodeURIComponent(username)}@` : "";
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    host,
    port,
    username,
    password,
    db,
    tls,
    connectTimeout,
    connectRetries,
    maxReconnectAttempts,
    address: `${scheme}://${auth}${hostPart}:${port}/${db}`,
  };
}

/** The few methods of node-redis's client that the connector uses (its types stay out of beam-ts's). */
export interface RedisClientLike {
  connect(): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  multi(): RedisMultiLike;
  sendCommand(args: readonly string[]): Promise<unknown>;
  destroy(): void;
}

/** node-redis's MULTI builder. */
export interface RedisMultiLike {
  addCommand(args: readonly string[]): RedisMultiLike;
  exec(): Promise<unknown[]>;
}

interface RedisModule {
  createClient(options: object): RedisClientLike;
}

/** The client library, imported when a step first connects. */
export type RedisImporter = () => Promise<unknown>;

const importRedis: RedisImporter = () => import("redis");

/**
 * node-redis (the `redis` package, an optional peer dependency of beam-ts), imported
 * lazily; when it is missing, an error saying what to install.
 */
export async function loadRedisModule(step: string, load: RedisImporter = importRedis): Promise<RedisModule> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new RedisIOError(
        `"${step}" needs the Redis client library, which is not installed. Run \`npm install redis@^6.3.1\` ` +
          `(beam-ts's Redis connector uses node-redis, an optional peer dependency).`,
        { cause: err, retryable: false },
      );
    }
    throw err;
  }
  const m = mod as Partial<RedisModule> & { default?: Partial<RedisModule> };
  const createClient = m.createClient ?? m.default?.createClient;
  if (typeof createClient !== "function") {
    throw new RedisIOError(`"${step}": the installed "redis" package has no createClient; install redis@^6.3.1.`, { retryable: false });
  }
  return { createClient };
}

/** Errors of a server that answered but refused the credentials: retrying cannot help. */
function isAuthFailure(err: unknown): boolean {
  const text = messageOf(err);
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(text) || text.includes("invalid username-password pair");
}

/** Errors of a TLS handshake whose certificate check failed: the same on every attempt. */
function isCertificateFailure(err: unknown): boolean {
  const code = String((err as { code?: unknown } | undefined)?.code ?? "");
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME_INVALID/.test(code) || /certificate|self[- ]signed/i.test(messageOf(err));
}

/** A client name for CLIENT LIST: `beam-ts:<step>` with only the characters Redis allows. */
export function clientName(step: string): string {
  return `beam-ts:${step}`.replace(/[^A-Za-z0-9_:/.\-()]/g, "_").slice(0, 200);
}

/** The steps of this worker that were connected, or lost their connection (see ConnectionHistory). */
const history = new ConnectionHistory();

/**
 * An open connection of one DoFn instance, and the reconnections it made, which the DoFn
 * reports in the REDIS_RECONNECTS_METRIC counter.
 */
export class RedisSession {
  #reconnects = 0;
  private constructor(
    readonly client: RedisClientLike,
    readonly connection: ResolvedRedisConnection,
  ) {}

  /**
   * Connects to `connection`, for the step `step`. A server that cannot be reached after
   * `connectRetries` more attempts fails with its address and a hint; refused credentials
   * fail at once (not retried). Once connected, a lost connection is reconnected with
   * backoff (commands wait in the client's queue) up to `maxReconnectAttempts` times, and so
   * is the first connection of a step that was connected before (see ConnectionHistory).
   */
  static async open(step: string, connection: ResolvedRedisConnection, load?: RedisImporter): Promise<RedisSession> {
    const { createClient } = await loadRedisModule(step, load);
    let ready = false;
    let lastError: unknown;
    const session: { value?: RedisSession } = {};
    const key = `${step} ${connection.address}`;
    // A step that was connected before waits for its server as a reconnection does.
    const mayWait = history.mayWait(key);
    let failedAttempts = 0;
    const backoff = (retries: number): number => Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);
    const reconnectStrategy = (retries: number, cause: unknown): number | false => {
      lastError = cause;
      if (isAuthFailure(cause) || isCertificateFailure(cause)) return false;
      if (!ready) {
        failedAttempts = retries + 1;
        if (mayWait) return retries < connection.maxReconnectAttempts ? backoff(retries) : false;
        return retries < connection.connectRetries ? 100 * 2 ** retries : false;
      }
      if (retries >= connection.maxReconnectAttempts) return false;
      return backoff(retries);
    };
    const tls = connection.tls;
    const socket: Record<string, unknown> = {
      host: connection.host,
      port: connection.port,
      connectTimeout: connection.connectTimeout,
      reconnectStrategy,
    };
    if (tls !== undefined) {
      // SNI names a host, never an IP address (RFC 6066; Node warns): an IP is checked against the certificate's IP SANs.
      const servername = tls.servername ?? (isIP(connection.host) === 0 ? connection.host : undefined);
      Object.assign(socket, { tls: true, ...(servername !== undefined ? { servername } : {}) });
      if (tls.ca !== undefined) socket["ca"] = tls.ca;
      if (tls.cert !== undefined) socket["cert"] = tls.cert;
      if (tls.key !== undefined) socket["key"] = reveal(tls.key);
      if (tls.rejectUnauthorized !== undefined) socket["rejectUnauthorized"] = tls.rejectUnauthorized;
    }
    const client = createClient({
      socket,
      database: connection.db,
      name: clientName(step),
      ...(connection.username !== undefined ? { username: connection.username } : {}),
      ...(connection.password !== undefined ? { password: reveal(connection.password) } : {}),
    });
    // node-redis emits 'error' for every failed attempt (an unlistened 'error' would crash
    // the process); the strategy above decides, and failures reach callers as rejections.
    client.on("error", (err: unknown) => {
      lastError = err;
    });
    client.on("reconnecting", () => {
      if (!ready) return;
      if (session.value !== undefined) session.value.#reconnects++;
      // Once connected, a dropped connection marks the step (see history); being ready again clears it.
      history.noteLost(key);
    });
    client.on("ready", () => {
      if (ready) history.noteConnected(key, 0);
    });
    try {
      await client.connect();
    } catch (err) {
      client.destroy();
      throw connectError(step, connection, lastError ?? err, Math.max(1, failedAttempts));
    }
    ready = true;
    session.value = new RedisSession(client, connection);
    if (history.noteConnected(key, failedAttempts)) session.value.#reconnects++;
    return session.value;
  }

  /** Reconnections since the last call (for a metric). */
  takeReconnects(): number {
    const n = this.#reconnects;
    this.#reconnects = 0;
    return n;
  }

  /** Closes the connection at once (whatever is pending is dropped: callers await their commands first). */
  close(): void {
    this.client.destroy();
  }
}

function connectError(step: string, connection: ResolvedRedisConnection, cause: unknown, attempts: number): RedisIOError {
  const why = messageOf(cause);
  if (isAuthFailure(cause)) {
    return new RedisIOError(
      `"${step}" cannot log in to Redis at ${connection.address}: the server refused the credentials (${why}). ` +
        `Check connection.username and connection.password (or the url's user:password).`,
      { cause, retryable: false },
    );
  }
  if (isCertificateFailure(cause)) {
    return new RedisIOError(
      `"${step}" cannot connect to Redis at ${connection.address}: the server's TLS certificate was not accepted (${why}). ` +
        `Give connection.tls.ca the PEM of the CA that signed it (and tls.servername when the certificate names another host); ` +
        `rejectUnauthorized: false skips the check, for tests only.`,
      { cause, retryable: false },
    );
  }
  return new RedisIOError(
    `"${step}" cannot connect to Redis at ${connection.address} (${attempts} attempt${attempts === 1 ? "" : "s"}): ${why || String(cause)}. ` +
      `Is redis-server running and listening there (\`redis-cli -h ${connection.host} -p ${connection.port} ping\`)? ` +
      `Check connection.host, port and tls${connection.tls !== undefined ? "" : " (a TLS-only server needs tls: true or rediss://)"}.`,
    { cause },
  );
}
