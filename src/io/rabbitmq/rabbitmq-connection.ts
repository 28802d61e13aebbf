import { ConstructionError, Secret, type Duration } from "../../model/index.js";
import { ConnectionHistory } from "../connection-history.js";
import type { ConnectStats } from "./metrics.js";
import { RabbitMqIOError, messageOf } from "./rabbitmq-io-error.js";

/** A setting that may hold a secret: a plain string or a `Secret` (printed as `****`). */
export type SecretOrString = string | Secret<string>;

/** TLS settings of an `amqps://` connection (Node's `tls.connect` options of the same names). */
export interface RabbitMqTlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: SecretOrString;
  readonly servername?: string;
  /** false accepts any certificate: for tests only. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Where and how to reach RabbitMQ: an AMQP 0-9-1 url, `amqp[s]://user:password@host:port/vhost`
 * (a `Secret` when it holds a password, as it usually does).
 *
 * @example { url: new Secret(process.env.AMQP_URL!) }
 */
export interface RabbitMqConnection {
  readonly url: SecretOrString;
  /** TLS settings for `amqps://` urls. */
  readonly tls?: RabbitMqTlsOptions;
  /** How long connecting may take, in ms. Default 5000. */
  readonly connectTimeout?: Duration;
  /** AMQP heartbeat, in seconds (a dead connection is noticed after about twice that). Default 10. */
  readonly heartbeat?: number;
  /**
   * After a step lost its connection while running (the broker went away), how many more
   * times it tries to connect again, waiting 100 ms doubling up to 5 s in between (default
   * 10: about 25 s), before its bundle fails. A broker down from the start fails at once.
   */
  readonly reconnectRetries?: number;
}

/** @internal A RabbitMqConnection checked, with defaults applied. */
export interface ResolvedRabbitMqConnection {
  readonly url: SecretOrString;
  readonly tls: RabbitMqTlsOptions | undefined;
  readonly connectTimeout: number;
  readonly heartbeat: number;
  readonly reconnectRetries: number;
  /** The address for messages: `amqp://user:****@host:port/vhost`, never the password. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** The virtual host the url names (`/`, the default, when its path is empty or `/`), decoded. */
  readonly vhost: string;
}

function reveal(value: SecretOrString): string {
  return Secret.isSecret(value) ? String(value.reveal()) : value;
}

/** Checks a RabbitMqConnection when the pipeline is built; `what` names the transform for messages. */
export function resolveRabbitMqConnection(what: string, connection: RabbitMqConnection | undefined): ResolvedRabbitMqConnection {
  if (typeof connection !== "object" || connection === null || connection.url === undefined) {
    throw new ConstructionError(`${what} needs a connection: { url: new Secret("amqp://user:password@host:5672/vhost") }.`);
  }
  if (typeof connection.url !== "string" && !Secret.isSecret(connection.url)) {
    throw new ConstructionError(`${what}: connection.url must be a string or a Secret (new Secret(url)).`);
  }
  let u: URL;
  try {
    u = new URL(reveal(connection.url));
  } catch {
    throw new ConstructionError(`${what}: connection.url is not a URL (the value is not shown: it may hold a password). Write it as amqp://user:password@host:5672/vhost.`);
  }
  if (u.protocol !== "amqp:" && u.protocol !== "amqps:") throw new ConstructionError(`${what}: connection.url must start with amqp:// or amqps://, got ${u.protocol}//….`);
  const count = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 0) throw new ConstructionError(`${what}: connection.${name} must be an integer >= 0, got ${String(value)}.`);
    return value;
  };
  const port = u.port === "" ? (u.protocol === "amqps:" ? 5671 : 5672) : Number(u.port);
  const user = u.username !== "" ? `${u.username}${u.password !== "" ? ":****" : ""}@` : "";
  const vhost = u.pathname === "" ? "/" : u.pathname;
  return {
    url: connection.url,
    tls: connection.tls,
    connectTimeout: count("connectTimeout", connection.connectTimeout, 5000),
    heartbeat: count("heartbeat", connection.heartbeat, 10),
    reconnectRetries: count("reconnectRetries", connection.reconnectRetries, 10),
    address: `${u.protocol}//${user}${u.hostname}:${port}${vhost}`,
    host: u.hostname,
    port,
    vhost: u.pathname.length <= 1 ? "/" : decodeURIComponent(u.pathname.slice(1)),
  };
}

/** A delivered message of amqplib, as far as the connector uses it. */
export interface AmqpMessageLike {
  readonly content: Uint8Array;
  readonly fields: { readonly deliveryTag: number; readonly redelivered: boolean; readonly exchange: string; readonly routingKey: string };
  readonly properties: {
    readonly messageId?: string;
    readonly correlationId?: string;
    readonly contentType?: string;
    readonly timestamp?: number;
    readonly headers?: Record<string, unknown>;
  };
}

/** amqplib's channel (confirm channel for writes), as far as the connector uses it. */
export interface AmqpChannelLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  prefetch(count: number): Promise<unknown>;
  checkQueue(queue: string): Promise<{ messageCount: number }>;
  checkExchange(exchange: string): Promise<unknown>;
  consume(queue: string, onMessage: (m: AmqpMessageLike | null) => void, options: { noAck: boolean }): Promise<{ consumerTag: string }>;
  ack(message: AmqpMessageLike): void;
  nack(message: AmqpMessageLike, allUpTo?: boolean, requeue?: boolean): void;
  publish(exchange: string, routingKey: string, content: Uint8Array, options: Record<string, unknown>, callback?: (err: unknown) => void): boolean;
  close(): Promise<void>;
}

/** amqplib's connection. */
export interface AmqpConnectionLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  createChannel(): Promise<AmqpChannelLike>;
  createConfirmChannel(): Promise<AmqpChannelLike>;
  close(): Promise<void>;
}

interface AmqpModule {
  connect(url: string, socketOptions: Record<string, unknown>): Promise<AmqpConnectionLike>;
}

/** The client library, imported when a step first connects. */
export type AmqpImporter = () => Promise<unknown>;

const importAmqp: AmqpImporter = () => import("amqplib");

/** amqplib (an optional peer dependency of beam-ts), imported lazily; when missing, an error saying what to install. */
export async function loadAmqpModule(step: string, load: AmqpImporter = importAmqp): Promise<AmqpModule> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new RabbitMqIOError(
        `"${step}" needs the AMQP client library, which is not installed. Run \`npm install amqplib@^2.3.1\` (beam-ts's RabbitMQ connector uses amqplib, an optional peer dependency).`,
        { cause: err, retryable: false },
      );
    }
    throw err;
  }
  const m = mod as Partial<AmqpModule> & { default?: Partial<AmqpModule> };
  const connect = m.connect ?? m.default?.connect;
  if (typeof connect !== "function") throw new RabbitMqIOError(`"${step}": the installed "amqplib" has no connect; install amqplib@^2.3.1.`, { retryable: false });
  return { connect };
}

/**
 * The steps of this worker that were connected, or lost their connection (see
 * ConnectionHistory). amqplib does not reconnect: the instance that lost its connection fails
 * its bundle and is torn down, and the retry's fresh instance waits for the broker with
 * backoff (`reconnectRetries`) instead of failing at once, as a broker down from the start does.
 */
const history = new ConnectionHistory();

/** Notes that `step` lost its connection to `connection` (its next connection is retried and counted). */
export function noteConnectionLost(step: string, connection: ResolvedRabbitMqConnection): void {
  history.noteLost(`${step} ${connection.address}`);
}

/** Whether a failed connect is worth another attempt: the broker refused or dropped the socket, or is starting. */
function mayPass(err: unknown): boolean {
  return !/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|certificate|self[- ]signed|CERT_|SSL|TLS/i.test(`${messageOf(err)} ${String((err as { code?: unknown }).code ?? "")}`);
}

/** Whether `step` was connected to `connection` before in this worker (its next connection waits for the broker). */
export function wasConnected(step: string, connection: ResolvedRabbitMqConnection): boolean {
  return history.mayWait(`${step} ${connection.address}`);
}

/**
 * Opens an AMQP connection for the step `step`. A broker that cannot be reached fails with
 * its address and a hint; refused credentials fail at once (not retried). When the step was
 * connected before (and may have lost it), the broker is waited for with backoff; `stats`
 * counts the attempts.
 */
export async function openAmqpConnection(step: string, connection: ResolvedRabbitMqConnection, load?: AmqpImporter, stats?: ConnectStats): Promise<AmqpConnectionLike> {
  const key = `${step} ${connection.address}`;
  const mayWait = history.mayWait(key);
  for (let attempt = 0; ; attempt++) {
    try {
      const conn = await connectOnce(step, connection, load);
      if (history.noteConnected(key, attempt) && stats !== undefined) stats.reconnects++;
      // A connection that closes with an error (not our close) was lost: the next one waits for the broker.
      conn.on("close", (err?: never) => {
        if (err !== undefined) history.noteLost(key);
      });
      return conn;
    } catch (err) {
      const cause = err instanceof RabbitMqIOError && err.cause !== undefined ? err.cause : err;
      if (!mayWait || attempt >= connection.reconnectRetries || !mayPass(cause)) throw err;
      if (stats !== undefined) stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)));
    }
  }
}

/** Whether Node's TLS refused the broker's certificate (an unknown CA, a name that does not match, expired). */
function isCertificateFailure(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? "");
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(code) || /certificate/i.test(messageOf(err));
}

/** One connection attempt, with the errors a user can act on. */
async function connectOnce(step: string, connection: ResolvedRabbitMqConnection, load?: AmqpImporter): Promise<AmqpConnectionLike> {
  const { connect } = await loadAmqpModule(step, load);
  const url = new URL(reveal(connection.url));
  url.searchParams.set("heartbeat", String(connection.heartbeat));
  const socket: Record<string, unknown> = { timeout: connection.connectTimeout, clientProperties: { connection_name: `beam-ts:${step}` } };
  const tls = connection.tls;
  if (tls !== undefined) {
    if (tls.ca !== undefined) socket["ca"] = [tls.ca];
    if (tls.cert !== undefined) socket["cert"] = tls.cert;
    if (tls.key !== undefined) socket["key"] = reveal(tls.key);
    if (tls.servername !== undefined) socket["servername"] = tls.servername;
    if (tls.rejectUnauthorized !== undefined) socket["rejectUnauthorized"] = tls.rejectUnauthorized;
  }
  try {
    const conn = await connect(url.toString(), socket);
    // An unlistened 'error' would crash the process; failures reach callers through the channel.
    conn.on("error", () => {});
    return conn;
  } catch (err) {
    const why = messageOf(err);
    if (/ACCESS[-_]REFUSED/.test(why)) {
      throw new RabbitMqIOError(`"${step}" cannot log in to RabbitMQ at ${connection.address}: the broker refused the credentials (${why}). Check the url's user and password, and the vhost.`, {
        cause: err,
        retryable: false,
      });
    }
    if (isCertificateFailure(err)) {
      // Not retried: waiting does not make the broker's certificate trusted.
      throw new RabbitMqIOError(
        `"${step}" cannot connect to RabbitMQ at ${connection.address}: the broker's TLS certificate was not accepted (${why}). ` +
          "Give connection.tls.ca the PEM of the CA that signed it (and tls.servername when the certificate names another host); " +
          "rejectUnauthorized: false skips the check, for tests only.",
        { cause: err, retryable: false },
      );
    }
    throw new RabbitMqIOError(
      `"${step}" cannot connect to RabbitMQ at ${connection.address}: ${why}. ` +
        `Is rabbitmq-server running and listening there (\`rabbitmq-diagnostics -q ping\`; \`nc -z ${connection.host} ${connection.port}\`)? Check the url's host, port and scheme (amqps:// for TLS).`,
      { cause: err },
    );
  }
}
