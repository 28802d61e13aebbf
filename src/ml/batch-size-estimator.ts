/**
 * Adaptive batch sizes, as Beam Python's `_BatchSizeEstimator` (BatchElements): it fits the
 * time of a batch as `fixed + perElement * size` over recent batches and picks the smallest
 * size whose fixed cost is at most `targetOverhead` of the batch's time, without a batch
 * taking longer than `targetDurationMs`. Sizes stay within [minSize, maxSize] and grow at
 * most twofold per batch, so one slow batch cannot jump the size to the maximum.
 */
export interface BatchSizeBounds {
  readonly minSize: number;
  readonly maxSize: number;
  /** Fraction of a batch's time that the fixed per-batch cost may take (default 0.05). */
  readonly targetOverhead?: number;
  /** Longest a batch should take, in ms (default 1000). */
  readonly targetDurationMs?: number;
}

/** Batches remembered for the fit: old ones stop mattering once the model is warm. */
const WINDOW = 32;

export class BatchSizeEstimator {
  private readonly samples: { size: number; ms: number }[] = [];
  private current: number;

  constructor(private readonly bounds: BatchSizeBounds) {
    this.current = bounds.minSize;
  }

  /** The size the next batch should reach before it runs. */
  nextSize(): number {
    return this.current;
  }

  /** Records how long a batch of `size` took, and picks the next size. */
  record(size: number, ms: number): void {
    // Fixed bounds leave nothing to pick: no fit per batch.
    if (this.bounds.minSize === this.bounds.maxSize) return;
    this.samples.push({ size, ms });
    if (this.samples.length > WINDOW) this.samples.shift();
    this.current = this.estimate(size);
  }

  private estimate(lastSize: number): number {
    const { minSize, maxSize } = this.bounds;
    const overhead = this.bounds.targetOverhead ?? 0.05;
    const duration = this.bounds.targetDurationMs ?? 1000;
    const fit = this.fit();
    let wanted: number;
    if (fit === undefined) {
      wanted = lastSize * 2;
    } else {
      const { fixed, perElement } = fit;
      // fixed / (fixed + perElement * n) <= overhead  ⇔  n >= fixed * (1 - overhead) / (overhead * perElement)
      const forOverhead = perElement <= 0 ? maxSize : Math.ceil((fixed * (1 - overhead)) / (overhead * perElement));
      const forDuration = perElement <= 0 ? maxSize : Math.floor((duration - fixed) / perElement);
      wanted = Math.min(forOverhead, forDuration);
    }
    // Concurrent batches report out of order: grow from the larger of the reported and the current size.
    const grown = Math.min(wanted, Math.max(1, lastSize, this.current) * 2);
    return Math.max(minSize, Math.min(maxSize, Number.isFinite(grown) ? Math.floor(grown) : maxSize));
  }

  /** Least squares over the remembered batches; undefined until two sizes were seen. */
  private fit(): { fixed: number; perElement: number } | undefined {
    const n = this.samples.length;
    const meanX = this.samples.reduce((s, p) => s + p.size, 0) / n;
    const meanY = this.samples.reduce((s, p) => s + p.ms, 0) / n;
    let sxx = 0;
    let sxy = 0;
    for (const p of this.samples) {
      sxx += (p.size - meanX) ** 2;
      sxy += (p.size - meanX) * (p.ms - meanY);
    }
    if (sxx === 0) return undefined;
    const perElement = sxy / sxx;
    return { fixed: Math.max(0, meanY - perElement * meanX), perElement };
  }
}
