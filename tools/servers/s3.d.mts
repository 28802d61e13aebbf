// Types for s3.mjs (so TypeScript tests and benchmarks can import it).

export declare const MOTO_VERSION: string;
export declare const S3_TEST_REGION: string;
export declare const S3_TEST_ACCESS_KEY_ID: string;
/** The secret tests pass to moto (which checks none), so they can assert it never shows up. */
export declare const S3_TEST_SECRET_ACCESS_KEY: string;

/** Path of moto_server in a venv under the cache, installed with pip on first use. */
export declare function motoServerBin(options?: { version?: string; python?: string }): Promise<string>;

/** A running moto S3 server. */
export interface S3Server {
  host: string;
  port: number;
  /** "http://127.0.0.1:<port>", the --s3Endpoint for clients (path-style). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s), then removes its folder. */
  stop(): Promise<void>;
}

/** Starts moto's S3 server on 127.0.0.1 at a free port. */
export declare function startS3(): Promise<S3Server>;
