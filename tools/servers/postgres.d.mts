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
}

/** Starts PostgreSQL on 127.0.0.1 at a free port in a new temporary data folder. */
export declare function startPostgres(): Promise<PostgresServer>;
