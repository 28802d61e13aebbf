import { ConstructionError, Secret, type Duration } from "../../model/index.js";
import { NatsIOError, messageOf } from "./nats-io-error.js";

/** A setting that may hold a secret: a plain string or a `Secret` (printed as `****`). */
export type SecretOrString = string | Secret<string>;

/** TLS settings of a NATS connection (Node's `tls.connect` options of the same names). */
export interface NatsTlsOptions {
  /** PEM of the certificate authorities to trust (default: Node's bundled roots). */
  readonly ca?: string;
  /** PEM of the client certificate, for servers that verify clients. */
  readonly cert?: string;
  /** PEM of the client certificate's private key. */
  readonly key?: SecretOrString;
}

/**
 * Where and how to reach NATS: `servers` (`nats://host:port` or `host:port`, one or several
 * of a cluster) and at most one way to log in: `user` + `password`, or `token`.
 *
 * @example { servers: "nats://127.0.0.1:4222", user: "beam", password: new Secret(process.env.NATS_PASSWORD!) }
 */
export interface NatsConnection {
  readonly servers: string | readonly string[];
  readonly user?: string;
  /** Never printed. */
  readonly password?: SecretOrString;
  /** A token (`authorization { token }`); never printed. */
  readonly token?: SecretOrString;
  /** true or TLS settings: connect with TLS. */
  readonly tls?: boolean | NatsTlsOptions;
  /** How long one connection attempt may take, in ms. Default 5000. */
  readonly connectTimeout?: Duration;
  /**
   * Reconnections tried (2 s apart, the client's default wait) when an open connection is
   * lost; past that the step fails and the runner retries its bundle. Default 10.
   */
  readonly maxReconnectAttempts?: number;
}

/** @internal A NatsConnection checked, with defaults applied. */
export interface ResolvedNatsConnection {
  readonly servers: readonly string[];
  readonly user: string | undefined;
  readonly password: SecretOrString | undefined;
  readonly token: SecretOrString | undefined;
  readonly tls: NatsTlsOptions | undefined;
  readonly connectTimeout: number;
  readonly maxReconnectAttempts: number;
  /** The servers for messages, without credentials: `nats://host:port, …`. */
  readonly address: string;
}

function reveal(value: SecretOrString): string {
  return Secret.isSecret(value) ? String(value.reveal()) : value;
}

/** A server address with any `user:password@` removed, for messages. */
export function printableServer(server: string): string {
  return server.replace(/^([a-z]+:\/\/)?[^@/]*@/i, "$1");
}

/**
 * Checks a NatsConnection when the pipeline is built and applies the defaults; `what`
 * names the transform for messages.
 */
export function resolveNatsConnection(what: string, connection: NatsConnection | undefined): ResolvedNatsConnection {
  if (typeof connection !== "object" || connection === null) {
    throw new ConstructionError(`${what} needs a connection: { servers: "nats://host:4222", user, password } or { servers, token }.`);
  }
  const servers = typeof connection.servers === "string" ? [connection.servers] : connection.servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== "string" || s === "")) {
    throw new ConstructionError(`${what}: connection.servers must be a non-empty string or list of strings such as "nats://127.0.0.1:4222".`);
  }
  for (const [name, value] of [
    ["password", connection.password],
    ["token", connection.token],
  ] as const) {
    if (value !== undefined && typeof value !== "string" && !Secret.isSecret(value)) {
      throw new ConstructionError(`${what}: connection.${name} must be a string or a Secret (new Secret(value)).`);
    }
  }
  if (connection.token !== undefined && (connection.user !== undefined || connection.password !== undefined)) {
    throw new ConstructionError(`${what}: give connection.token or connection.user and password, not both.`);
  }
  const count = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 0) throw new ConstructionError(`${what}: connection.${name} must be an integer >= 0, got ${String(value)}.`);
    return value;
  };
  const tls = connection.tls === true ? {} : connection.tls === false || connection.tls === undefined ? undefined : connection.tls;
  return {
    servers: [...servers],
    user: connection.user,
    password: connection.password,
    token: connection.token,
    tls,
    connectTimeout: count("connectTimeout", connection.connectTimeout, 5000),
    maxReconnectAttempts: count("maxReconnectAttempts", connection.maxReconnectAttempts, 10),
    address: servers.map(printableServer).join(", "),
  };
}

/** The options of `connect` of @nats-io/transport-node that the connector sets. */
export function clientOptions(step: string, connection: ResolvedNatsConnection): Record<string, unknown> {
  const options: Record<string, unknown> = {
    servers: [...connection.servers],
    name: `beam-ts:${step}`,
    timeout: connection.connectTimeout,
    maxReconnectAttempts: connection.maxReconnectAttempts,
    // Down at start fails at once with the address (below), rather than waiting for ever.
    waitOnFirstConnect: false,
  };
  if (connection.user !== undefined) options["user"] = connection.user;
  if (connection.password !== undefined) options["pass"] = reveal(connection.password);
  if (connection.token !== undefined) options["token"] = reveal(connection.token);
  const tls = connection.tls;
  if (tls !== undefined) {
    const t: Record<string, unknown> = {};
    if (tls.ca !== undefined) t["ca"] = tls.ca;
    if (tls.cert !== undefined) t["cert"] = tls.cert;
    if (tls.key !== undefined) t["key"] = reveal(tls.key);
    options["tls"] = t;
  }
  return options;
}

/** The core connection of @nats-io/transport-node, as far as the connector uses it (its types stay out of beam-ts's). */
export interface NatsClientLike {
  publish(subject: string, payload?: Uint8Array | string, options?: { reply?: string }): void;
  subscribe(subject: string, options?: { max?: number }): AsyncIterable<NatsCoreMessageLike> & { unsubscribe(): void };
  flush(): Promise<void>;
  close(): Promise<void>;
  status(): AsyncIterable<{ type: string }>;
}

/** A message of the core client. */
export interface NatsCoreMessageLike {
  readonly subject: string;
  readonly reply?: string;
  readonly data: Uint8Array;
  readonly headers?: { readonly code: number; readonly description: string; keys(): string[]; values(key: string): string[] };
}

/** JetStream's publish (of @nats-io/jetstream's `jetstream(nc)`). */
export interface JetStreamLike {
  publish(subject: string, payload: Uint8Array, options?: { msgID?: string; headers?: unknown }): Promise<{ stream: string; seq: number; duplicate: boolean }>;
}

/** JetStream's management API (of @nats-io/jetstream's `jetstreamManager(nc)`). */
export interface JetStreamManagerLike {
  consumers: {
    add(stream: string, config: Record<string, unknown>): Promise<unknown>;
    info(stream: string, consumer: string): Promise<{ num_ack_pending: number; num_pending: number }>;
  };
}

interface NatsModules {
  connect(options: Record<string, unknown>): Promise<NatsClientLike>;
  createInbox(): string;
  headers(): { append(key: string, value: string): void };
  jetstream(nc: NatsClientLike): JetStreamLike;
  jetstreamManager(nc: NatsClientLike): Promise<JetStreamManagerLike>;
}

/** The client libraries, imported when a step first connects. */
export type NatsImporter = () => Promise<readonly [unknown, unknown]>;

const importNats: NatsImporter = () => Promise.all([import("@nats-io/transport-node"), import("@nats-io/jetstream")]);

/** The version line of the clients the connector is written and tested against. */
const CLIENTS = "@nats-io/transport-node@^3.3.1 @nats-io/jetstream@^3.3.1";

/**
 * @nats-io/transport-node and @nats-io/jetstream (optional peer dependencies of beam-ts),
 * imported lazily; when one is missing, an error saying what to install.
 */
export async function loadNatsModules(step: string, load: NatsImporter = importNats): Promise<NatsModules> {
  let core: unknown;
  let js: unknown;
  try {
    [core, js] = await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new NatsIOError(
        `"${step}" needs the NATS client libraries, which are not installed. Run \`npm install ${CLIENTS}\` ` +
          `(beam-ts's NATS connector uses them as optional peer dependencies).`,
        { cause: err, retryable: false },
      );
    }
    throw err;
  }
  const c = core as Partial<NatsModules>;
  const j = js as Partial<NatsModules>;
  if (typeof c.connect !== "function" || typeof c.createInbox !== "function" || typeof c.headers !== "function" || typeof j.jetstream !== "function" || typeof j.jetstreamManager !== "function") {
    throw new NatsIOError(`"${step}": the installed NATS client libraries lack connect/jetstream; install ${CLIENTS}.`, { retryable: false });
  }
  return { connect: c.connect, createInbox: c.createInbox, headers: c.headers, jetstream: j.jetstream, jetstreamManager: j.jetstreamManager };
}

/** Errors of a server that answered but refused the credentials: retrying cannot help. */
function isAuthFailure(err: unknown): boolean {
  return /authoriz|authenticat/i.test(messageOf(err));
}

/**
 * The open connection of one DoFn instance, and the reconnections it made (reported in
 * NATS_RECONNECTS_METRIC).
 */
export class NatsSession {
  #reconnects = 0;
  private constructor(
    readonly client: NatsClientLike,
    readonly modules: NatsModules,
    readonly connection: ResolvedNatsConnection,
  ) {}

  /**
   * Connects to `connection`, for the step `step`. A server that cannot be reached fails with
   * its address and a hint; refused credentials fail at once (not retried). Once connected,
   * the client reconnects a lost connection by itself, up to `maxReconnectAttempts` times.
   */
  static async open(step: string, connection: ResolvedNatsConnection, load?: NatsImporter): Promise<NatsSession> {
    const modules = await loadNatsModules(step, load);
    let client: NatsClientLike;
    try {
      client = await modules.connect(clientOptions(step, connection));
    } catch (err) {
      throw connectError(step, connection, err);
    }
    const session = new NatsSession(client, modules, connection);
    void (async () => {
      for await (const s of client.status()) if (s.type === "reconnect") session.#reconnects++;
    })().catch(() => {});
    return session;
  }

  /** Reconnections since the last call (for a metric). */
  takeReconnects(): number {
    const n = this.#reconnects;
    this.#reconnects = 0;
    return n;
  }

  /** Closes the connection after flushing what was published. */
  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }
}

function connectError(step: string, connection: ResolvedNatsConnection, cause: unknown): NatsIOError {
  const why = messageOf(cause);
  if (isAuthFailure(cause)) {
    return new NatsIOError(
      `"${step}" cannot log in to NATS at ${connection.address}: the server refused the credentials (${why}). ` +
        `Check connection.user and connection.password, or connection.token.`,
      { cause, retryable: false },
    );
  }
  // A certificate the client does not trust is refused the same way on every attempt.
  const causes: string[] = [];
  for (let e: unknown = cause; e !== undefined && e !== null && causes.length < 5; e = (e as { cause?: unknown }).cause) {
    causes.push(`${messageOf(e)} ${String((e as { code?: unknown }).code ?? "")}`);
  }
  if (/certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY|ALTNAME/i.test(causes.join(" "))) {
    return new NatsIOError(
      `"${step}" cannot connect to NATS at ${connection.address}: the server's TLS certificate was not accepted (${causes.join("; ").trim()}). ` +
        `Give connection.tls.ca the PEM of the CA that signed it (its names must match the server's host).`,
      { cause, retryable: false },
    );
  }
  return new NatsIOError(
    `"${step}" cannot connect to NATS at ${connection.address}: ${why}. ` +
      `Is nats-server running and listening there (\`nats-server -js -a <host> -p <port>\`; \`nc -z <host> <port>\`)? ` +
      `Check connection.servers and tls${connection.tls !== undefined ? "" : " (a TLS-only server needs tls: true)"}.`,
    { cause },
  );
}
