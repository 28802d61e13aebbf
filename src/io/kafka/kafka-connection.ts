import { ConstructionError, Secret } from "../../model/index.js";
import { KafkaIOError, messageOf } from "./kafka-io-error.js";

/** The client library's module (`@platformatic/kafka`), typed from its declarations. */
export type KafkaModule = typeof import("@platformatic/kafka");

/** A string, or a Secret holding it (printed as `Secret(****)`, never revealed in messages). */
export type SecretOrString = string | Secret<string>;

/** SASL authentication (PLAIN or SCRAM), the password a Secret. */
export interface KafkaSasl {
  readonly mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
  readonly username: string;
  readonly password: SecretOrString;
}

/**
 * TLS to the brokers (Node's `tls.connect` options of the same names; Beam's KafkaIO takes
 * them as the consumer/producer's `ssl.*` configs). PEM strings or bytes.
 *
 * @example { ca: readFileSync("ca.pem", "utf8"), cert: readFileSync("client.pem"), key: new Secret(readFileSync("client.key", "utf8")) }
 */
export interface KafkaTlsOptions {
  /** PEM of the certificate authorities to trust (default: Node's bundled roots). */
  readonly ca?: string | Uint8Array;
  /** PEM of the client certificate, for brokers that check clients (`ssl.client.auth=required`). */
  readonly cert?: string | Uint8Array;
  /** PEM of the client certificate's private key; a Secret keeps it out of messages. */
  readonly key?: SecretOrString | Uint8Array;
  /** The passphrase of an encrypted `key`. */
  readonly passphrase?: SecretOrString;
  /** The name the brokers' certificates must hold (default: the host of each broker). */
  readonly servername?: string;
  /** false accepts any broker certificate: for tests only. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/** How a Kafka step reaches the cluster; shared by readFromKafka and writeToKafka. */
export interface KafkaConnection {
  /** Bootstrap servers, `"host:port"` or `"host1:port1,host2:port2"` or an array of them. */
  readonly bootstrapServers: string | readonly string[];
  /** TLS to the brokers: true for Node's defaults (bundled roots, NODE_EXTRA_CA_CERTS), or the CA, client certificate and key. */
  readonly tls?: boolean | KafkaTlsOptions;
  readonly sasl?: KafkaSasl;
  /** The client id the brokers see; default `beam-ts`. */
  readonly clientId?: string;
  /** Milliseconds to wait for a connection to a broker. Default 5000. */
  readonly connectTimeoutMs?: number;
}

/** KafkaConnection checked when the pipeline is built. */
export interface ResolvedKafkaConnection {
  readonly brokers: readonly string[];
  /** undefined: plaintext. */
  readonly tls: KafkaTlsOptions | undefined;
  readonly sasl: KafkaSasl | undefined;
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  /** Client settings of consumerConfig / producerConfig (kafka-client-config.ts), applied to every client of the step. */
  readonly tuning?: KafkaClientTuning;
}

/** The client settings consumerConfig and producerConfig may change on every client of a step. */
export interface KafkaClientTuning {
  readonly timeout?: number;
  readonly retries?: number;
  readonly retryDelay?: number;
  readonly metadataMaxAge?: number;
}

const HOST_PORT = /^[^\s:,]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** Checks a KafkaConnection at construction time, naming the transform and the fix. */
export function resolveKafkaConnection(transform: string, options: KafkaConnection): ResolvedKafkaConnection {
  const raw = options.bootstrapServers;
  const list = (typeof raw === "string" ? raw.split(",") : [...(raw ?? [])]).map((s) => s.trim()).filter((s) => s !== "");
  if (list.length === 0) throw new ConstructionError(`${transform}: bootstrapServers is empty; give "host:port" of at least one broker, e.g. "127.0.0.1:9092".`);
  for (const b of list) {
    if (!HOST_PORT.test(b)) throw new ConstructionError(`${transform}: bootstrap server ${JSON.stringify(b)} is not host:port (e.g. "127.0.0.1:9092").`);
  }
  if (options.sasl !== undefined && (typeof options.sasl.username !== "string" || options.sasl.password === undefined)) {
    throw new ConstructionError(`${transform}: sasl needs { mechanism, username, password } (password a Secret).`);
  }
  return {
    brokers: list,
    tls: resolveTls(transform, options.tls),
    sasl: options.sasl,
    clientId: options.clientId ?? "beam-ts",
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
  };
}

const TLS_KEYS = new Set(["ca", "cert", "key", "passphrase", "servername", "rejectUnauthorized"]);

/** `tls` checked: true becomes `{}` (Node's defaults), false or absent plaintext; unknown keys are refused (a typo would silently drop a CA). */
function resolveTls(transform: string, tls: KafkaConnection["tls"]): KafkaTlsOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  if (typeof tls !== "object" || tls === null) throw new ConstructionError(`${transform}: tls must be true or { ca, cert, key, passphrase, servername, rejectUnauthorized }, got ${typeof tls}.`);
  const unknown = Object.keys(tls).filter((k) => !TLS_KEYS.has(k));
  if (unknown.length > 0) throw new ConstructionError(`${transform}: tls has unknown option(s) ${unknown.join(", ")}; the options are ${[...TLS_KEYS].join(", ")}.`);
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new ConstructionError(`${transform}: tls.cert and tls.key go together (a client certificate needs its private key); give both or neither.`);
  return tls;
}

/** Node's TLS options of a connection, secrets revealed: only for the client, never for a message. */
function nodeTlsOptions(tls: KafkaTlsOptions): Record<string, string | Buffer | boolean> {
  const bytes = (v: string | Uint8Array) => (typeof v === "string" ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  const secret = (v: SecretOrString | Uint8Array) => (v instanceof Secret ? v.reveal() : bytes(v));
  return {
    ...(tls.ca !== undefined ? { ca: bytes(tls.ca) } : {}),
    ...(tls.cert !== undefined ? { cert: bytes(tls.cert) } : {}),
    ...(tls.key !== undefined ? { key: secret(tls.key) } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: secret(tls.passphrase) } : {}),
    ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
    ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
  };
}

/** The client options common to consumers, producers and admins of a connection. */
export function clientOptions(c: ResolvedKafkaConnection, suffix: string): {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  retries: number;
  timeout?: number;
  retryDelay?: number;
  metadataMaxAge?: number;
  tls?: Record<string, string | Buffer | boolean>;
  sasl?: { mechanism: KafkaSasl["mechanism"]; username: string; password: string };
} {
  const password = c.sasl?.password;
  return {
    clientId: `${c.clientId}-${suffix}`,
    bootstrapBrokers: [...c.brokers],
    connectTimeout: c.connectTimeoutMs,
    retries: 3,
    ...c.tuning,
    ...(c.tls !== undefined ? { tls: nodeTlsOptions(c.tls) } : {}),
    ...(c.sasl !== undefined && password !== undefined
      ? { sasl: { mechanism: c.sasl.mechanism, username: c.sasl.username, password: password instanceof Secret ? password.reveal() : password } }
      : {}),
  };
}

/** The client library, imported when a step first connects. */
export type KafkaImporter = () => Promise<unknown>;

const importKafka: KafkaImporter = () => import("@platformatic/kafka");

/**
 * @platformatic/kafka (an optional peer dependency of beam-ts), imported lazily; when it is
 * missing, an error saying what to install.
 */
export async function loadKafkaModule(step: string, load: KafkaImporter = importKafka): Promise<KafkaModule> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new KafkaIOError(
        `"${step}" needs the Kafka client library, which is not installed. Run \`npm install @platformatic/kafka@^1.35.0\` ` +
          `(beam-ts's Kafka connector uses @platformatic/kafka, an optional peer dependency).`,
        { cause: err, retryable: false },
      );
    }
    throw err;
  }
  const m = mod as Partial<KafkaModule>;
  if (typeof m.Producer !== "function" || typeof m.Consumer !== "function" || typeof m.Admin !== "function") {
    throw new KafkaIOError(`"${step}": the installed "@platformatic/kafka" has no Producer/Consumer/Admin; install @platformatic/kafka@^1.35.0.`, { retryable: false });
  }
  return m as KafkaModule;
}

/** Whether `err`, its causes or its per-broker errors hold one that `test` accepts. */
export function someKafkaError(err: unknown, test: (e: unknown) => boolean, depth = 0): boolean {
  if (err === undefined || err === null || depth > 8) return false;
  if (test(err)) return true;
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.some((e) => someKafkaError(e, test, depth + 1))) return true;
  return someKafkaError(cause, test, depth + 1);
}

/** The brokers refused the SASL credentials (the client's AuthenticationError). */
export function isAuthenticationFailure(err: unknown): boolean {
  return (err as { code?: unknown }).code === "PLT_KFK_AUTHENTICATION";
}

/** A broker's TLS certificate was not trusted or names another host (Node's verification codes). */
export function isCertificateFailure(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? "");
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME_INVALID/.test(code);
}

/** The innermost message of the errors `test` accepts, for the reason shown (never a credential: the client's messages hold none). */
function firstMessage(err: unknown, test: (e: unknown) => boolean): string {
  let found = "";
  someKafkaError(err, (e) => {
    if (!test(e)) return false;
    found = messageOf(e).replace(/\.$/, "");
    return true;
  });
  return found;
}

/**
 * A failure to reach the cluster, with the address and a hint (never a password or key).
 * Refused credentials and untrusted certificates get their own hint and are not retryable:
 * trying again cannot fix them.
 */
export function unreachable(step: string, c: ResolvedKafkaConnection, what: string, err: unknown): KafkaIOError {
  const at = c.brokers.join(",");
  if (someKafkaError(err, isAuthenticationFailure)) {
    const as = c.sasl === undefined ? "" : ` (SASL ${c.sasl.mechanism} as user ${JSON.stringify(c.sasl.username)})`;
    return new KafkaIOError(
      `"${step}" could not ${what} at ${at}: authentication failed${as}: ${firstMessage(err, isAuthenticationFailure)}. ` +
        `Check sasl.username and sasl.password, and that the brokers' listener enables that mechanism (sasl.enabled.mechanisms) and knows the user.`,
      { cause: err, retryable: false },
    );
  }
  if (c.tls !== undefined && someKafkaError(err, isCertificateFailure)) {
    return new KafkaIOError(
      `"${step}" could not ${what} at ${at}: the broker's TLS certificate was not accepted (${firstMessage(err, isCertificateFailure)}). ` +
        `Give tls.ca the PEM of the CA that signed it (and tls.servername when the certificate names another host); rejectUnauthorized: false skips the check, for tests only.`,
      { cause: err, retryable: false },
    );
  }
  return new KafkaIOError(
    `"${step}" could not ${what} at ${at}: ${messageOf(err)}. ` +
      `Check that a broker listens there (e.g. \`nc -z ${c.brokers[0]!.replace(/:(\d+)$/, " $1")}\`), that its advertised listeners are reachable from here` +
      `${c.tls === undefined ? ", and that it is not a TLS listener (tls: true or tls: { ca })" : ", and that it is a TLS listener"}.`,
    { cause: err },
  );
}
