import type { PipelineGraph } from "../../pipeline/index.js";
import { MetricsContainer } from "../../metrics/index.js";
import { decodeUserMetrics } from "../../harness/index.js";
import type { MetricResults } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";

/**
 * The user metrics of a job as its runner aggregated them (the Job API's GetJobMetrics),
 * as containers per beam-ts step: the submitter's view of workers it cannot see (workers
 * in their own processes).
 *
 * Steps: a MonitoringInfo's PTRANSFORM is a transform id of the pipeline the runner got
 * (beam-ts ids), so it maps back to the transform's full label; an id a runner made up
 * for a transform it expanded ("t5/PairWithRestriction", "t5_precombine") maps to the
 * transform whose id it starts with.
 *
 * Runners differ in what *attempted* holds: Java runners aggregate every attempt; Prism
 * keeps only the latest progress report of a running bundle. A metric whose attempted
 * value is missing, or smaller than the committed one, takes the committed value (every
 * committed update was also attempted). Spark's job server fills *attempted* only
 * (SparkPipelineResult.PortableBatchMode.portableMetrics in Beam 2.70): no committed value
 * can be had there, and none is made up from the attempted ones (docs/PORTABLE_PINS.md,
 * S_COMMITTED_METRICS).
 */
export function runnerMetrics(results: MetricResults, graph: PipelineGraph): { attempted: MetricsContainer[]; committed: MetricsContainer[] } {
  const stepOf = stepNames(graph);
  const committed = decodeUserMetrics(results.committed, stepOf);
  const reported = new Map(decodeUserMetrics(results.attempted, stepOf).map((c) => [c.step, c]));
  const attempted = committed.map((c) => atLeast(reported.get(c.step), c));
  for (const [step, c] of reported) if (!committed.some((k) => k.step === step)) attempted.push(c);
  return { attempted, committed };
}

/** Maps a runner's transform ids to the full labels of the pipeline's transforms. */
export function stepNames(graph: PipelineGraph): (transformId: string) => string {
  return (id) => {
    const known = graph.transforms.get(id);
    if (known !== undefined) return known.fullLabel;
    let best: string | undefined;
    for (const candidate of graph.transforms.keys()) {
      if (id.length > candidate.length && id.startsWith(candidate) && /[^A-Za-z0-9]/.test(id[candidate.length]!)) {
        if (best === undefined || candidate.length > best.length) best = candidate;
      }
    }
    return best === undefined ? id : graph.transforms.get(best)!.fullLabel;
  };
}

/** The attempted container of a step: the runner's values, raised to the committed ones where they fall short. */
function atLeast(reported: MetricsContainer | undefined, committed: MetricsContainer): MetricsContainer {
  const out = new MetricsContainer(committed.step);
  if (reported !== undefined) out.mergeFrom(reported);
  for (const { namespace, name, cell } of committed.counters.values()) {
    const a = reported?.counters.get(`${namespace}\u0000${name}`)?.cell;
    if (a === undefined || Math.abs(a.value) < Math.abs(cell.value)) out.counter(namespace, name).value = cell.value;
  }
  for (const { namespace, name, cell } of committed.distributions.values()) {
    const a = reported?.distributions.get(`${namespace}\u0000${name}`)?.cell;
    if (a === undefined || a.count < cell.count) {
      const d = out.distribution(namespace, name);
      Object.assign(d, { count: cell.count, sum: cell.sum, min: cell.min, max: cell.max });
    }
  }
  for (const { namespace, name, cell } of committed.gauges.values()) out.gauge(namespace, name).mergeFrom(cell);
  for (const { namespace, name, cell } of committed.stringSets.values()) out.stringSet(namespace, name).mergeFrom(cell);
  return out;
}
