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

/** How a Kafka step reaches the cluster; shared by readFromKafka and writeToKafka. */
export interface KafkaConnection {
  /** Bootstrap servers, `"host:port"` or `"host1:port1,host2:port2"` or an array of them. */
  readonly bootstrapServers: string | readonly string[];
  /** TLS to the brokers (Node's TLS defaults; a CA can be given through NODE_EXTRA_CA_CERTS). */
  readonly tls?: boolean;
  readonly sasl?: KafkaSasl;
  /** The client id the brokers see; default `beam-ts`. */
  readonly clientId?: string;
  /** Milliseconds to wait for a connection to a broker. Default 5000. */
  readonly connectTimeoutMs?: number;
}

/** KafkaConnection checked when the pipeline is built. */
export interface ResolvedKafkaConnection {
  readonly brokers: readonly string[];
  readonly tls: boolean;
  readonly sasl: KafkaSasl | undefined;
  readonly clientId: string;
  readonly connectTimeoutMs: number;
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
    tls: options.tls === true,
    sasl: options.sasl,
    clientId: options.clientId ?? "beam-ts",
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
  };
}

/** The client options common to consumers, producers and admins of a connection. */
export function clientOptions(c: ResolvedKafkaConnection, suffix: string): {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  retries: number;
  tls?: Record<string, never>;
  sasl?: { mechanism: KafkaSasl["mechanism"]; username: string; password: string };
} {
  const password = c.sasl?.password;
  return {
    clientId: `${c.clientId}-${suffix}`,
    bootstrapBrokers: [...c.brokers],
    connectTimeout: c.connectTimeoutMs,
    retries: 3,
    ...(c.tls ? { tls: {} } : {}),
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

/** A failure to reach the cluster, with the address and a hint (never a password). */
export function unreachable(step: string, c: ResolvedKafkaConnection, what: string, err: unknown): KafkaIOError {
  return new KafkaIOError(
    `"${step}" could not ${what} at ${c.brokers.join(",")}: ${messageOf(err)}. ` +
      `Check that a broker listens there (e.g. \`nc -z ${c.brokers[0]!.replace(/:(\d+)$/, " $1")}\`) and that its advertised listeners are reachable from here.`,
    { cause: err },
  );
}
