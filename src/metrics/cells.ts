/**
 * The cells that hold one metric's value within one container. Cells merge, so the values
 * of many bundles (and, later, many workers) add up to the job's value.
 */

export class CounterCell {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  mergeFrom(other: CounterCell): void {
    this.value += other.value;
  }
}

/** The summary Beam keeps of a distribution: count, sum, min and max. */
export interface DistributionResult {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export class DistributionCell {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  update(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
  mergeFrom(other: DistributionCell): void {
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }
  result(): DistributionResult {
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, mean: this.count ? this.sum / this.count : NaN };
  }
}

/** A gauge keeps the latest value set, with when it was set (processing time, ms). */
export interface GaugeResult {
  readonly value: number;
  readonly timestamp: number;
}

export class GaugeCell {
  value = 0;
  timestamp = -Infinity;
  set(value: number): void {
    this.value = value;
    this.timestamp = Date.now();
  }
  mergeFrom(other: GaugeCell): void {
    if (other.timestamp >= this.timestamp) {
      this.value = other.value;
      this.timestamp = other.timestamp;
    }
  }
  result(): GaugeResult {
    return { value: this.value, timestamp: this.timestamp };
  }
}

/** The set of distinct strings added, as Beam's StringSet metric. */
export class StringSetCell {
  readonly values = new Set<string>();
  add(...values: string[]): void {
    for (const v of values) this.values.add(v);
  }
  mergeFrom(other: StringSetCell): void {
    for (const v of other.values) this.values.add(v);
  }
}
