// Types for nats.mjs (so TypeScript tests and benchmarks can import it).

/** The nats-server version built from the Go module proxy. */
export declare const NATS_SERVER_VERSION: string;
/** The user and password of the test server. */
export declare const NATS_TEST_USER: string;
export declare const NATS_TEST_PASSWORD: string;

/** The nats-server binary: $BEAM_TS_NATS_SERVER, or one built into the cache on first use. */
export declare function natsServerBin(): Promise<string>;

/** A running test server. */
export interface NatsServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** nats://127.0.0.1:<port> (credentials separate) */
  url: string;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s), then removes its folder. */
  stop(): Promise<void>;
  /** Ends the process by `signal` (default SIGTERM) and waits for it; the store stays, for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed server again on the same port and store (updates `pid`). */
  restart(): Promise<void>;
}

/** Starts nats-server with JetStream on 127.0.0.1 at a free port, its store in a new temporary folder; with `tls`, TLS only (`tls://` url). */
export declare function startNats(options?: { tls?: { certFile: string; keyFile: string } }): Promise<NatsServer>;
