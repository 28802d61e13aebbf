// Types for gcs.mjs (so TypeScript tests and benchmarks can import it).

export declare const FAKE_GCS_SERVER_VERSION: string;

/** The fake-gcs-server binary: $BEAM_TS_FAKE_GCS_SERVER, or one built from the Go module proxy into the cache on first use. */
export declare function fakeGcsServerBin(): Promise<string>;

/** A running Cloud Storage emulator. */
export interface GcsServer {
  host: string;
  port: number;
  /** "http://127.0.0.1:<port>", the apiEndpoint (--gcsEndpoint) for clients. */
  endpoint: string;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s), then removes its folder. */
  stop(): Promise<void>;
}

/** Starts fake-gcs-server on 127.0.0.1 at a free port, its objects in a temporary folder. */
export declare function startGcs(): Promise<GcsServer>;
