// Types for postgres.mjs (so TypeScript tests and benchmarks can import it).

/** The password of the test cluster's superuser `postgres`. */
export declare const POSTGRES_TEST_PASSWORD: string;

/** The folder of initdb and postgres. */
export declare function postgresBinDir(): string;

/** A running test server. */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  pid: number;
  /** Fast shutdown (SIGINT, SIGKILL after 10 s), then removes the data folder. */
  stop(): Promise<void>;
  /** Ends the postmaster by `signal` (default SIGINT, fast shutdown; SIGKILL is a crash) and waits; the data stays, for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed server again on the same port and data folder (updates `pid`). */
  restart(): Promise<void>;
}

/** Starts PostgreSQL on 127.0.0.1 at a free port in a new temporary data folder; with `ssl` (PEM files) it also accepts TLS. */
export declare function startPostgres(options?: { ssl?: { certFile: string; keyFile: string } }): Promise<PostgresServer>;
