import type { DistributionResult, GaugeResult } from "./cells.js";
import { MetricsContainer } from "./container.js";

/** One metric of one step: its value over all attempts, and over committed bundles only. */
export interface MetricResult<T> {
  readonly step: string;
  readonly namespace: string;
  readonly name: string;
  /** Includes bundles that failed and were retried. */
  readonly attempted: T;
  /** Only bundles whose output was committed: what a correct count shows. */
  readonly committed: T;
}

export interface MetricQueryResults {
  readonly counters: readonly MetricResult<number>[];
  readonly distributions: readonly MetricResult<DistributionResult>[];
  readonly gauges: readonly MetricResult<GaugeResult>[];
  readonly stringSets: readonly MetricResult<ReadonlySet<string>>[];
}

/**
 * Selects metrics as Beam's MetricsFilter: `step` matches a transform whose full label
 * contains it as whole path segments ("Count" matches "WordCount/Count/Combine" but not
 * "CountWords"); `namespace` and `name` match exactly.
 */
export interface MetricsFilter {
  readonly step?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface MetricResults {
  queryMetrics(filter?: MetricsFilter): MetricQueryResults;
}

/** True when `filter`'s segments appear contiguously among `step`'s segments. */
export function stepMatches(step: string, filter: string): boolean {
  if (step === filter) return true;
  const s = step.split("/");
  const f = filter.split("/");
  for (let i = 0; i + f.length <= s.length; i++) {
    if (f.every((part, j) => s[i + j] === part)) return true;
  }
  return false;
}

/** The metrics of a job: attempted and committed containers per step. */
export class JobMetricsStore implements MetricResults {
  private readonly attempted = new Map<string, MetricsContainer>();
  private readonly committed = new Map<string, MetricsContainer>();

  /** Records a finished bundle attempt; `committed` when its output was kept. */
  record(containers: readonly MetricsContainer[], committed: boolean): void {
    for (const c of containers) {
      if (c.isEmpty) continue;
      this.into(this.attempted, c.step).mergeFrom(c);
      if (committed) this.into(this.committed, c.step).mergeFrom(c);
    }
  }

  /**
   * Adds metrics a runner aggregated (e.g. from a Job API's GetJobMetrics): `attempted` and
   * `committed` as the runner gave them, each into its own side.
   */
  recordAggregated(attempted: readonly MetricsContainer[], committed: readonly MetricsContainer[]): void {
    for (const c of attempted) if (!c.isEmpty) this.into(this.attempted, c.step).mergeFrom(c);
    for (const c of committed) if (!c.isEmpty) this.into(this.committed, c.step).mergeFrom(c);
  }

  /** The containers per step, attempted and committed (to ship them to another store). */
  containers(): { readonly attempted: readonly MetricsContainer[]; readonly committed: readonly MetricsContainer[] } {
    return { attempted: [...this.attempted.values()], committed: [...this.committed.values()] };
  }

  private into(map: Map<string, MetricsContainer>, step: string): MetricsContainer {
    let c = map.get(step);
    if (c === undefined) {
      c = new MetricsContainer(step);
      map.set(step, c);
    }
    return c;
  }

  queryMetrics(filter: MetricsFilter = {}): MetricQueryResults {
    const counters: MetricResult<number>[] = [];
    const distributions: MetricResult<DistributionResult>[] = [];
    const gauges: MetricResult<GaugeResult>[] = [];
    const stringSets: MetricResult<ReadonlySet<string>>[] = [];
    const keep = (step: string, namespace: string, name: string) =>
      (filter.step === undefined || stepMatches(step, filter.step)) &&
      (filter.namespace === undefined || filter.namespace === namespace) &&
      (filter.name === undefined || filter.name === name);
    for (const [step, a] of this.attempted) {
      const c = this.committed.get(step) ?? new MetricsContainer(step);
      for (const { namespace, name, cell } of a.counters.values()) {
        if (keep(step, namespace, name)) {
          counters.push({ step, namespace, name, attempted: cell.value, committed: c.counter(namespace, name).value });
        }
      }
      for (const { namespace, name, cell } of a.distributions.values()) {
        if (keep(step, namespace, name)) {
          const committed = c.distribution(namespace, name).result();
          distributions.push({ step, namespace, name, attempted: cell.result(), committed });
        }
      }
      for (const { namespace, name, cell } of a.gauges.values()) {
        if (keep(step, namespace, name)) {
          gauges.push({ step, namespace, name, attempted: cell.result(), committed: c.gauge(namespace, name).result() });
        }
      }
      for (const { namespace, name, cell } of a.stringSets.values()) {
        if (keep(step, namespace, name)) {
          const committed = new Set(c.stringSet(namespace, name).values);
          stringSets.push({ step, namespace, name, attempted: new Set(cell.values), committed });
        }
      }
    }
    return { counters, distributions, gauges, stringSets };
  }
}
