// Types for rabbitmq.mjs (so TypeScript tests and benchmarks can import it).

/** The user and password of the test broker. */
export declare const RABBITMQ_TEST_USER: string;
export declare const RABBITMQ_TEST_PASSWORD: string;

/** The rabbitmq-server script: $BEAM_TS_RABBITMQ_SERVER, or Debian's /usr/lib/rabbitmq/bin/rabbitmq-server. */
export declare function rabbitmqServerBin(): string;

/** A running test broker. */
export interface RabbitMqServer {
  host: string;
  port: number;
  /** The amqps listener's port, when started with `tls`. */
  tlsPort: number | undefined;
  user: string;
  password: string;
  /** amqp://<user>:<password>@127.0.0.1:<port> */
  url: string;
  /** amqps://<user>:<password>@127.0.0.1:<tlsPort>, when started with `tls`. */
  tlsUrl: string | undefined;
  pid: number;
  /** SIGTERM to its process group (SIGKILL after 15 s), stops its epmd, then removes its folder. */
  stop(): Promise<void>;
  /** Ends its process group by `signal` (default SIGTERM; SIGKILL is a crash) and waits; the data stays, for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed broker again on the same port and data (updates `pid`). */
  restart(): Promise<void>;
}

/** PEM files of an amqps listener: the server's certificate and key, and the CA that signed it. */
export interface RabbitMqTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** Starts rabbitmq-server on 127.0.0.1 at a free port (and an amqps one with `tls`), its data in a new temporary folder. */
export declare function startRabbitMq(options?: { tls?: RabbitMqTlsFiles }): Promise<RabbitMqServer>;
