import type { RestrictionTracker, SplitResult } from "../../transforms/index.js";

/**
 * The restriction of the partition watcher: the partitions it has emitted so far (as
 * partitionKeys), and whether its work is over. Plain data, so checkpoints keep it: a
 * restored job emits only partitions its checkpoint had not seen yet.
 */
export interface PartitionSet {
  readonly known: readonly string[];
  readonly done: boolean;
  /** Whether a listing was claimed: partitions found after the first listing start at their earliest offset. */
  readonly listed: boolean;
}

/**
 * The tracker of a PartitionSet (Beam Watch's GrowthTracker, with the outputs themselves as
 * its state): a claim of a batch of newly found partitions adds them to the set, and fails
 * once the restriction is done or was split; claiming `null` ends the watch. A checkpoint
 * (`trySplit(0)`) leaves a done primary and a residual that goes on from the same set.
 */
export class PartitionSetTracker implements RestrictionTracker<PartitionSet, readonly string[] | null> {
  private known: string[];
  private done: boolean;
  private listed: boolean;

  constructor(restriction: PartitionSet) {
    this.known = [...restriction.known];
    this.done = restriction.done;
    this.listed = restriction.listed;
  }

  tryClaim(batch: readonly string[] | null): boolean {
    if (this.done) return false;
    if (batch === null) {
      this.done = true;
      return false;
    }
    const known = new Set(this.known);
    this.known.push(...batch.filter((k) => !known.has(k)));
    this.listed = true;
    return true;
  }

  currentRestriction(): PartitionSet {
    return { known: [...this.known], done: this.done, listed: this.listed };
  }

  trySplit(fractionOfRemainder: number): SplitResult<PartitionSet> | undefined {
    // Only checkpoints: the watch cannot be cut in parts.
    if (this.done || fractionOfRemainder !== 0) return undefined;
    this.done = true;
    return { primary: { known: [...this.known], done: true, listed: this.listed }, residual: { known: [...this.known], done: false, listed: this.listed } };
  }

  checkDone(): void {
    // Every call either claims null, is split, or returns resume (which the runner splits).
  }

  isBounded(): boolean {
    return this.done;
  }
}
