// Types for job-services.mjs (so TypeScript tests can import it).

export declare const PRISM_VERSION: string;
export declare const BEAM_JAVA_VERSION: string;
export declare const FLINK_VERSION: string;

export interface JobService {
  /** "127.0.0.1:<port>" of the Job Service (gRPC JobService + artifact staging for Prism). */
  endpoint: string;
  port: number;
  pid: number | undefined;
  /** The child's stdout+stderr, under <cache>/logs/. */
  logFile: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface JavaJobService extends JobService {
  artifactEndpoint: string;
  expansionEndpoint: string;
}

export interface PrismOptions {
  /** Job port; 0 (default) lets the OS choose. */
  port?: number;
  /** Serve Prism's web UI on this port; off by default. */
  webPort?: number;
  /** Go duration, e.g. "10m": Prism exits after that long without a job. */
  idleShutdown?: string;
  logLevel?: "debug" | "info" | "warn" | "error";
  timeoutMs?: number;
  /** Use this binary instead of ensurePrism(). */
  binary?: string;
}

export interface JavaJobServerOptions {
  /** Use this jar instead of downloading one. */
  jar?: string;
  port?: number;
  artifactPort?: number;
  expansionPort?: number;
  /** JVM flags placed before -jar, e.g. ["-Xmx1g"]. */
  javaOpts?: string[];
  /** java binary; default $JAVA_HOME/bin/java, else java on PATH. */
  java?: string;
  timeoutMs?: number;
}

export declare function cacheDir(): string;
export declare function ensurePrism(opts?: { version?: string }): Promise<string>;
export declare function ensureFlinkJobServer(opts?: { beamVersion?: string; flinkVersion?: string }): Promise<string>;
export declare function ensureSparkJobServer(opts?: { beamVersion?: string }): Promise<string>;
export declare function freePort(): Promise<number>;
export declare function canConnect(port: number, host?: string, timeoutMs?: number): Promise<boolean>;
export declare function startPrism(opts?: PrismOptions): Promise<JobService>;
export declare function startFlink(opts?: JavaJobServerOptions & { flinkMaster?: string }): Promise<JavaJobService>;
export declare function startSpark(opts?: JavaJobServerOptions & { sparkMaster?: string }): Promise<JavaJobService>;
export declare function cacheReport(): void;
