import { CounterCell, DistributionCell, GaugeCell, StringSetCell } from "./cells.js";

type Cells<C> = Map<string, { namespace: string; name: string; cell: C }>;

function cellOf<C>(cells: Cells<C>, namespace: string, name: string, make: () => C): C {
  const key = `${namespace}\u0000${name}`;
  let entry = cells.get(key);
  if (entry === undefined) {
    entry = { namespace, name, cell: make() };
    cells.set(key, entry);
  }
  return entry.cell;
}

function mergeCells<C extends { mergeFrom(o: C): void }>(into: Cells<C>, from: Cells<C>, make: () => C): void {
  for (const { namespace, name, cell } of from.values()) cellOf(into, namespace, name, make).mergeFrom(cell);
}

/**
 * The metrics of one step (transform) in one bundle attempt, or accumulated over many.
 * DoFns reach it as `ctx.metrics`; the Metrics API reaches the current one through
 * MetricsEnvironment.
 */
export class MetricsContainer {
  readonly counters: Cells<CounterCell> = new Map();
  readonly distributions: Cells<DistributionCell> = new Map();
  readonly gauges: Cells<GaugeCell> = new Map();
  readonly stringSets: Cells<StringSetCell> = new Map();
  /**
   * The bundle attempt this container records, as the runner numbers bundles (set by the
   * runner; `logger` records carry it). Undefined for containers that merge attempts.
   */
  bundle: string | undefined = undefined;

  constructor(readonly step: string) {}

  counter(namespace: string, name: string): CounterCell {
    return cellOf(this.counters, namespace, name, () => new CounterCell());
  }
  distribution(namespace: string, name: string): DistributionCell {
    return cellOf(this.distributions, namespace, name, () => new DistributionCell());
  }
  gauge(namespace: string, name: string): GaugeCell {
    return cellOf(this.gauges, namespace, name, () => new GaugeCell());
  }
  stringSet(namespace: string, name: string): StringSetCell {
    return cellOf(this.stringSets, namespace, name, () => new StringSetCell());
  }

  get isEmpty(): boolean {
    return this.counters.size + this.distributions.size + this.gauges.size + this.stringSets.size === 0;
  }

  mergeFrom(other: MetricsContainer): void {
    mergeCells(this.counters, other.counters, () => new CounterCell());
    mergeCells(this.distributions, other.distributions, () => new DistributionCell());
    mergeCells(this.gauges, other.gauges, () => new GaugeCell());
    mergeCells(this.stringSets, other.stringSets, () => new StringSetCell());
  }
}
