// Types for job-services.mjs (so TypeScript tests can import it).

export declare const PRISM_VERSION: string;
export declare const FLINK_VERSION: string;
/** Beam Java SDK release of the Flink/Spark runners, the Java harness and the Java expansion service. */
export declare const JAVA_SDK_VERSION: string;

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
  /** Use this Java classpath instead of resolving the job server's with Maven. */
  classpath?: string;
  port?: number;
  artifactPort?: number;
  expansionPort?: number;
  /** JVM flags placed before -cp, e.g. ["-Xmx1g"]. */
  javaOpts?: string[];
  /** java binary; default $JAVA_HOME/bin/java, else java on PATH. */
  java?: string;
  /** Extra environment variables of the job server process. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export declare function cacheDir(): string;
export declare function ensurePrism(opts?: { version?: string }): Promise<string>;
/** Path to a cached Go binary `name`, built with `go install <pkg>@<version>` into the cache on first use. */
/** Path to a cached Go binary `name` built with `go build` from the Go module in `dir`, on first use. */
export declare function ensureGoBuild(opts: { name: string; dir: string }): Promise<string>;
export declare function ensureGoBinary(opts: { name: string; pkg: string; version: string }): Promise<string>;
/** Maven coordinates and main class of each Java job server. */
export declare const JAVA_JOB_SERVERS: Record<"flink" | "spark", { mainClass: string; artifacts: string[]; jvmArgs?: string[] }>;
/** Resolves `group:artifact:version` coordinates with their dependencies; returns a cached classpath. */
export declare function ensureClasspath(name: string, artifacts: readonly string[]): Promise<string>;
export declare function ensureFlinkJobServer(): Promise<string>;
export declare function ensureSparkJobServer(): Promise<string>;
export declare function freePort(): Promise<number>;
export declare function canConnect(port: number, host?: string, timeoutMs?: number): Promise<boolean>;
export declare function startPrism(opts?: PrismOptions): Promise<JobService>;
/** `flinkConfDir`: a Flink configuration directory instead of the one binding the local cluster to 127.0.0.1. */
export declare function startFlink(opts?: JavaJobServerOptions & { flinkMaster?: string; flinkConfDir?: string }): Promise<JavaJobService>;
export declare function startSpark(opts?: JavaJobServerOptions & { sparkMaster?: string }): Promise<JavaJobService>;
export declare function cacheReport(): void;

export interface ExpansionServiceOptions {
  /** Use this Java classpath instead of resolving the expansion service's with Maven. */
  classpath?: string;
  /** More `group:artifact:version` coordinates on the classpath (IOs whose transforms to serve). */
  artifacts?: string[];
  /** Port on 127.0.0.1; 0 (default) lets the OS choose. */
  port?: number;
  /** Beam's --defaultEnvironmentType for the Java transforms: EMBEDDED (default), PROCESS, EXTERNAL, DOCKER. */
  environmentType?: string;
  /** Beam's --defaultEnvironmentConfig. */
  environmentConfig?: string;
  /** Further pipeline options, e.g. ["--experiments=use_deprecated_read"]. */
  options?: string[];
  javaOpts?: string[];
  java?: string;
  timeoutMs?: number;
}

/** Maven coordinates, main class and loopback launcher of Beam's Java expansion service. */
export declare const JAVA_EXPANSION_SERVICE: { mainClass: string; launcher: string; artifacts: string[] };
export declare function ensureExpansionService(extra?: readonly string[]): Promise<string>;
/** Starts Beam's Java expansion service on 127.0.0.1; `endpoint` is its gRPC address. */
export declare function startExpansionService(opts?: ExpansionServiceOptions): Promise<JobService>;

/** A server's log file; writes after end() are dropped instead of failing. */
export function openLog(name: string): { file: string; write(chunk: string | Buffer): void; end(): Promise<void> };
