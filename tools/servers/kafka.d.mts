// Types for kafka.mjs (so TypeScript tests and benchmarks can import it).

/** The broker versions `startKafka` knows, by line ("3.9" and "4"). */
export declare const KAFKA_VERSIONS: { readonly "3.9": string; readonly "4": string };

/** Classpath of the Kafka broker `version`, resolved with mvn on first use and cached. */
export declare function ensureKafka(version: string): Promise<string>;

/** A running single-node KRaft broker. */
export interface KafkaServer {
  host: string;
  port: number;
  /** "127.0.0.1:<port>", the bootstrap server list of a client. */
  bootstrap: string;
  /** "127.0.0.1:<port>" of the SSL listener, when started with `tls`. */
  tlsBootstrap?: string;
  /** "127.0.0.1:<port>" of the SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256), when started with `sasl`. */
  saslBootstrap?: string;
  /** The broker's exact version, e.g. "4.1.1". */
  version: string;
  pid: number;
  /** SIGTERM (SIGKILL after 15 s), then removes its folder. */
  stop(): Promise<void>;
  /** Ends the broker by `signal` (default SIGTERM; SIGKILL is a crash) and waits; its logs stay, for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed broker again on the same ports and logs (updates `pid`). */
  restart(): Promise<void>;
}

/** Options of `startKafka`. */
export interface StartKafkaOptions {
  line?: "4" | "3.9";
  timeoutMs?: number;
  /** Adds an SSL listener with this PEM certificate and unencrypted PKCS#8 key; `clientCaFile` makes it require client certificates signed by that CA. */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Adds a SASL_PLAINTEXT listener; each user (name to password) may log in with PLAIN or SCRAM-SHA-256. */
  sasl?: { users: Record<string, string> };
}

/** Starts a KRaft broker+controller on 127.0.0.1 at free ports in a new temporary folder. */
export declare function startKafka(options?: StartKafkaOptions): Promise<KafkaServer>;
