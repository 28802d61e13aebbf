// Types for pubsub.mjs (so TypeScript tests and benchmarks can import it).

/** The pstest binary: $BEAM_TS_PSTEST, or one built from tools/servers/pstest into the cache on first use. */
export declare function pstestBin(): Promise<string>;

/** A running Pub/Sub fake. */
export interface PubSubServer {
  host: string;
  port: number;
  /** "127.0.0.1:<port>", the value of PUBSUB_EMULATOR_HOST for clients. */
  emulatorHost: string;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** Ends it by `signal` (default SIGTERM) and waits; it keeps nothing, so a `restart`ed fake is empty. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed fake again on the same port, with no topics or subscriptions (updates `pid`). */
  restart(): Promise<void>;
}

/** Starts Google's pstest Pub/Sub fake on 127.0.0.1 at a free port. */
export declare function startPubSub(): Promise<PubSubServer>;
