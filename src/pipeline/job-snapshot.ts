import type { DistributionResult, MetricQueryResults } from "../metrics/index.js";
import type { GraphView } from "./graph-view.js";
import type { JobState } from "./runner.js";

/**
 * What a runner publishes about a running or finished job: the one thing every observer
 * (the Prometheus endpoint, terminal progress, lineage, the web page) reads. Observers
 * render a snapshot; they never reach into a runner, so they work the same for embedded and
 * portable jobs. A snapshot is plain data (JSON-serialisable but for `Infinity`
 * watermarks), taken at `takenAt`; fields a runner does not know are absent.
 *
 * @example
 * const result = p.run();
 * const snap = result.snapshot?.();
 * for (const s of snap?.steps ?? []) console.log(s.label, s.elementsOut);
 */
export interface JobSnapshot {
  readonly job: JobInfo;
  /** The pipeline as the runner runs it: transforms, PCollections and (embedded) fused stages. */
  readonly graph: GraphView;
  /** Per primitive step (by full label), what the runner counted. */
  readonly steps: readonly StepSnapshot[];
  /** Per stage (where bundles start), watermarks and bundles; empty when the runner does not say. */
  readonly stages: readonly StageSnapshot[];
  /** Per source, how far it got. */
  readonly sources: readonly SourceSnapshot[];
  /** User and runner metrics as `result.metrics()` gives them (attempted and committed). */
  readonly metrics: MetricQueryResults;
  /** Datasets the job read and wrote, as Beam lineage names (`Lineage`). */
  readonly lineage: LineageSnapshot;
  readonly memory?: MemorySnapshot;
  readonly workers?: WorkersSnapshot;
  readonly checkpoints?: CheckpointsSnapshot;
  /** Processing time the snapshot was taken (ms since the epoch). */
  readonly takenAt: number;
}

export interface JobInfo {
  readonly name: string;
  readonly state: JobState;
  /** The runner's name (`embedded`, `portable`, `flink`, ...). */
  readonly runner: string;
  /** When the job was submitted (ms since the epoch). */
  readonly startTime: number;
  /** When it ended, once it has. */
  readonly endTime?: number;
}

/**
 * One primitive step. Element counts include retried bundles (attempted): they measure
 * work, not results; committed user metrics are in `JobSnapshot.metrics`.
 */
export interface StepSnapshot {
  readonly label: string;
  /** Elements that entered the step (over its main inputs). */
  readonly elementsIn?: number;
  /** Elements the step output (over all its outputs). */
  readonly elementsOut?: number;
  /** Encoded bytes output, where the runner measured them. */
  readonly bytesOut?: number;
  /** Elements routed to the step's dead-letter output (exception handling). */
  readonly deadLetters?: number;
}

/** A stage: where bundles start (a source or a materialized input), and the steps fused into it. */
export interface StageSnapshot {
  readonly label: string;
  /** Full labels of the steps its bundles run, upstream first. */
  readonly steps: readonly string[];
  /** Event time (ms); -Infinity before any progress, +Infinity once the input is complete. */
  readonly inputWatermark: number;
  readonly outputWatermark: number;
  /**
   * How far the output watermark trails processing time (ms, 0 when it is ahead): the lag a
   * streaming dashboard alerts on. Absent while the watermark is -Infinity or +Infinity.
   */
  readonly watermarkLagMillis?: number;
  /** What holds the output watermark back, when the stage knows (a pending timer, a buffered element, a source). */
  readonly hold?: string;
  readonly bundles: number;
  /** Elements the stage's bundles started with. */
  readonly elements: number;
  /** How long its bundles took (ms), committed or not. */
  readonly bundleMillis: DistributionResult;
  /** Bundle attempts that failed and were retried. */
  readonly retries: number;
  /** Bundle attempts that failed (retried or not). */
  readonly failures: number;
  readonly done: boolean;
}

/** A source's progress, where known. */
export interface SourceSnapshot {
  readonly label: string;
  /** Elements it read. */
  readonly elements: number;
  /** The fraction of its input done, 0..1, from sizes or restriction progress. */
  readonly fractionDone?: number;
  /** Bytes (or restriction size units) left to read. */
  readonly backlog?: number;
  readonly done: boolean;
}

/** Datasets read and written, as Beam lineage FQNs (e.g. `filesystem:localhost:/data/in.txt`). */
export interface LineageSnapshot {
  readonly sources: readonly string[];
  readonly sinks: readonly string[];
}

export interface MemorySnapshot {
  /** Bytes keyed steps wrote to local disk under the budget. */
  readonly spilledBytes: number;
  /** The memory budget (bytes); absent when there is none. */
  readonly budgetBytes?: number;
}

export interface WorkersSnapshot {
  /** Executors running the job (this thread and worker threads). */
  readonly threads: number;
  /** Executors that reported at least once. */
  readonly reporting: number;
}

export interface CheckpointsSnapshot {
  readonly count: number;
  /** True while the job can take a savepoint (`PipelineResult.savepoint`): a running streaming job with checkpoints. */
  readonly savepoints?: boolean;
  readonly lastBytes?: number;
  readonly lastMillis?: number;
}
