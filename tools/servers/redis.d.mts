// Types for redis.mjs (so TypeScript tests and benchmarks can import it).

/** The password (`requirepass`) of the test server. */
export declare const REDIS_TEST_PASSWORD: string;

/** The redis-server binary: $BEAM_TS_REDIS_SERVER, or `redis-server` on the PATH. */
export declare function redisServerBin(): string;

/** A running test server. */
export interface RedisServer {
  host: string;
  port: number;
  password: string;
  /** redis://:<password>@127.0.0.1:<port> (rediss:// with TLS) */
  url: string;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s), then removes its folder. */
  stop(): Promise<void>;
  /** Ends the process by `signal` (default SIGTERM) and waits for it; the folder stays, for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed server again on the same port and folder (updates `pid`). */
  restart(): Promise<void>;
}

/**
 * Starts redis-server on 127.0.0.1 at a free port in a new temporary folder; with `tls` (PEM files) it listens with TLS only;
 * with `persist` its data survives `kill` + `restart` (append-only file, synced at every write).
 */
export declare function startRedis(options?: { tls?: { certFile: string; keyFile: string; caFile: string }; persist?: boolean }): Promise<RedisServer>;
