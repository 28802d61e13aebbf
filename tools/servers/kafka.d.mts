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

/** Starts a KRaft broker+controller on 127.0.0.1 at free ports in a new temporary folder. */
export declare function startKafka(options?: { line?: "4" | "3.9"; timeoutMs?: number }): Promise<KafkaServer>;
