// Types for java-nexmark.mjs (so TypeScript tests and bench/peers can import it).

/** The Maven project of the Java port. */
export declare const PROJECT_DIR: string;

/** <repo>/.cache/peers/java-nexmark (or $BEAM_TS_PEERS_CACHE/java-nexmark). */
export declare function cacheDir(): string;

export interface JavaNexmarkBuild {
  /** <cache>/<hash of the pom and sources>. */
  dir: string;
  /** Compiled classes first, then the Maven dependencies. */
  classpath: string;
  /** Whether this call built it (false: cached). */
  built: boolean;
  /** Seconds the build took (0 when cached). */
  buildSec: number;
}

/** Builds the project once per source hash (mvn dependency:build-classpath + javac). */
export declare function ensureBuilt(): Promise<JavaNexmarkBuild>;

export interface JavaNexmarkOptions {
  runner?: "direct" | "flink";
  query: number;
  numEvents: number;
  /** Default 100, Beam's. */
  numEventGenerators?: number;
  /** Flink parallelism; default 2. */
  parallelism?: number;
  /** Kill the JVM after this long; default 30 minutes. */
  timeoutMs?: number;
  /** More Beam pipeline options, e.g. ["--enforceImmutability=false"]. */
  extraArgs?: string[];
  /** More JVM options, e.g. ["-Xmx4g"]. */
  jvmArgs?: string[];
}

/** The launcher's one JSON line. */
export interface JavaNexmarkResult {
  query: number;
  system: "beam-java-direct" | "beam-java-flink";
  numEvents: number;
  eventsPerSec: number;
  resultCount: number;
  /** Wall time from pipeline.run() to the end of waitUntilFinish(). */
  runtimeSec: number;
  /** Beam Java SDK version (ReleaseInfo). */
  version: string;
  /** Flink only: Flink's net job runtime (JobExecutionResult.getNetRuntime), local cluster start-up excluded. */
  jobRuntimeSec?: number;
  /**
   * Query 6 only: each seller's final average (its last pane) summarised — the number of
   * sellers, the sum of the averages and a digest of the (seller, average) pairs
   * (FinalAverages.java; bench/nexmark/queries/final-averages.ts computes the same for beam-ts).
   */
  finalAverages?: { sellers: number; sum: number; digest: number };
  /** The java command line that ran (classpath abbreviated); added by the wrapper. */
  command: string;
}

export declare function runJavaNexmark(options: JavaNexmarkOptions): Promise<JavaNexmarkResult>;

/** An event as the Java port dumps it, in beam-ts's shape. */
export interface JavaDumpedEvent {
  timestamp: number;
  event: { kind: "person"; newPerson: Record<string, unknown> } | { kind: "auction"; newAuction: Record<string, unknown> } | { kind: "bid"; bid: Record<string, unknown> };
}

/** The events of the default configuration with numEvents = n, in event id order (generator by generator). */
export declare function javaGeneratorEvents(n: number, options?: { numEventGenerators?: number; timeoutMs?: number }): Promise<JavaDumpedEvent[]>;
