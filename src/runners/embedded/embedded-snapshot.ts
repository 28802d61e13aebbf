import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../model/index.js";
import { JobMetricsStore, Lineage, type MetricQueryResults } from "../../metrics/index.js";
import { graphView, type JobInfo, type JobSnapshot, type PipelineGraph, type SourceSnapshot, type StageSnapshot, type StepSnapshot } from "../../pipeline/index.js";
import { EMBEDDED_NAMESPACE } from "./bundle-metrics.js";
import type { ExecutorObservation } from "./executor-observation.js";

/** What an embedded job's snapshot is made of. */
export interface EmbeddedSnapshotParts {
  readonly job: JobInfo;
  readonly graph: PipelineGraph;
  /** Every executor's observation, merged (mergeObservations); undefined before the first is built. */
  readonly observation: ExecutorObservation | undefined;
  /** The job's metrics, and those of worker threads still running. */
  readonly metrics: readonly JobMetricsStore[];
  readonly memoryBudgetBytes: number | undefined;
  readonly threads: number;
  readonly reporting: number;
  readonly now: number;
  /** True when the job takes checkpoints (a streaming job with --checkpointDir): it can take savepoints. */
  readonly checkpointing?: boolean;
}

/**
 * The embedded runner's JobSnapshot: the graph with the stages the executors run, element
 * counts per step from the PCollections' counts, per stage its bundles and watermarks, per
 * source (a stage with no input, or a splittable DoFn) what it read and its restriction
 * progress, and spill and checkpoints from the runner's own metrics.
 */
export function embeddedSnapshot(parts: EmbeddedSnapshotParts): JobSnapshot {
  const obs = parts.observation ?? { pcollections: {}, stages: [] };
  const store = combined(parts.metrics);
  const metrics = store.queryMetrics();
  const view = graphView(parts.graph, obs.stages.length > 0 ? obs.stages.map((s) => ({ label: s.label, steps: s.steps })) : undefined);
  const steps: StepSnapshot[] = [];
  const count = (pcs: readonly string[]) => {
    let n: number | undefined;
    for (const pc of pcs) if (obs.pcollections[pc] !== undefined) n = (n ?? 0) + obs.pcollections[pc]!;
    return n;
  };
  for (const t of view.transforms) {
    if (t.kind === "composite") continue;
    const deadLetters = counter(metrics, t.label, "deadLetters");
    const elementsIn = count(t.inputs);
    const elementsOut = count(t.outputs);
    steps.push({
      label: t.label,
      ...(elementsIn !== undefined ? { elementsIn } : {}),
      ...(elementsOut !== undefined ? { elementsOut } : {}),
      ...(deadLetters !== undefined ? { deadLetters } : {}),
    });
  }
  const stages: StageSnapshot[] = obs.stages.map((s) => {
    // Before any progress and once complete, a watermark has no lag to speak of.
    const moving = s.outputWatermark > MIN_TIMESTAMP && s.outputWatermark < MAX_TIMESTAMP;
    const lag = moving ? Math.max(0, parts.now - s.outputWatermark) : undefined;
    const hold = s.outputWatermark < s.inputWatermark ? `elements or timers of "${s.label}" hold it at its oldest pending timestamp` : undefined;
    return {
      label: s.label,
      steps: s.steps,
      inputWatermark: s.inputWatermark,
      outputWatermark: s.outputWatermark,
      ...(lag !== undefined ? { watermarkLagMillis: lag } : {}),
      ...(hold !== undefined ? { hold } : {}),
      bundles: s.bundles,
      elements: s.elements,
      bundleMillis: { ...s.bundleMillis, mean: s.bundleMillis.count > 0 ? s.bundleMillis.sum / s.bundleMillis.count : NaN },
      retries: s.retries,
      failures: s.failures,
      done: s.done,
    };
  });
  const outputsOf = new Map(view.transforms.map((t) => [t.label, t.outputs]));
  const sources: SourceSnapshot[] = [];
  for (const s of obs.stages) {
    if (!s.isSource && s.progress === undefined) continue;
    const total = s.progress === undefined ? 0 : s.progress.completed + s.progress.remaining;
    sources.push({
      label: s.label,
      elements: count(outputsOf.get(s.label) ?? []) ?? 0,
      ...(s.progress !== undefined ? { backlog: s.progress.remaining, fractionDone: total > 0 ? s.progress.completed / total : s.done ? 1 : 0 } : {}),
      done: s.done,
    });
  }
  const spilled = metrics.counters.filter((c) => c.namespace === EMBEDDED_NAMESPACE && c.name === "spilledBytes").reduce((n, c) => n + c.attempted, 0);
  const checkpoints = counter(metrics, "", "checkpoints", EMBEDDED_NAMESPACE);
  const gauge = (name: string) => metrics.gauges.find((g) => g.step === "" && g.namespace === EMBEDDED_NAMESPACE && g.name === name)?.committed.value;
  const lastBytes = gauge("lastCheckpointBytes");
  const lastMillis = gauge("lastCheckpointMillis");
  return {
    job: parts.job,
    graph: view,
    steps,
    stages,
    sources,
    metrics,
    lineage: { sources: Lineage.query(store, "sources"), sinks: Lineage.query(store, "sinks") },
    memory: { spilledBytes: spilled, ...(parts.memoryBudgetBytes !== undefined ? { budgetBytes: parts.memoryBudgetBytes } : {}) },
    workers: { threads: parts.threads, reporting: parts.reporting },
    ...(checkpoints !== undefined || parts.checkpointing === true
      ? { checkpoints: { count: checkpoints ?? 0, ...(parts.checkpointing === true && parts.job.state === "RUNNING" ? { savepoints: true } : {}), ...(lastBytes !== undefined ? { lastBytes } : {}), ...(lastMillis !== undefined ? { lastMillis } : {}) } }
      : {}),
    takenAt: parts.now,
  };
}

/** A counter of one step summed over namespaces (or in `namespace`); undefined when never set. */
function counter(metrics: MetricQueryResults, step: string, name: string, namespace?: string): number | undefined {
  let n: number | undefined;
  for (const c of metrics.counters) {
    if (c.step === step && c.name === name && (namespace === undefined || c.namespace === namespace)) n = (n ?? 0) + c.attempted;
  }
  return n;
}

/** One store holding every given store's attempted and committed metrics. */
function combined(stores: readonly JobMetricsStore[]): JobMetricsStore {
  if (stores.length === 1) return stores[0]!;
  const out = new JobMetricsStore();
  for (const s of stores) {
    const { attempted, committed } = s.containers();
    out.recordAggregated(attempted, committed);
  }
  return out;
}
