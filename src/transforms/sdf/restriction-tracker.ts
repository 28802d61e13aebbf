import { SplittableDoFnError } from "./errors.js";

/**
 * The two halves of a split restriction (Beam's `SplitResult`): the `primary` stays with
 * the running `process` call, the `residual` is processed later, possibly elsewhere.
 */
export interface SplitResult<R> {
  readonly primary: R;
  readonly residual: R;
}

/**
 * Known completed and remaining work of a restriction (Beam's `RestrictionTracker.Progress`),
 * both `>= 0` and in the same unit (offsets, bytes, messages).
 */
export interface Progress {
  readonly workCompleted: number;
  readonly workRemaining: number;
}

/**
 * Builds a Progress, as Beam's `Progress.from`: both amounts must be `>= 0`.
 *
 * @example
 * restrictionProgress(30, 70); // { workCompleted: 30, workRemaining: 70 }
 */
export function restrictionProgress(workCompleted: number, workRemaining: number): Progress {
  if (!(workCompleted >= 0) || !(workRemaining >= 0)) {
    throw new SplittableDoFnError(
      `Work completed and work remaining must be greater than or equal to zero but were ${workCompleted} and ${workRemaining}.`,
    );
  }
  return { workCompleted, workRemaining };
}

/**
 * Beam's RestrictionTracker: owns the restriction of one `process` call of a splittable
 * DoFn and records which part of it has been claimed. `process` claims each block of work
 * before doing it and stops as soon as a claim fails; meanwhile the runner may call
 * `trySplit` (from another task) to hand the unclaimed rest to someone else. Processing
 * the primary and every residual separately does the same work as if no split happened.
 *
 * @example
 * const tracker = new OffsetRangeTracker(new OffsetRange(0, 10));
 * for (let i = tracker.currentRestriction().from; tracker.tryClaim(i); i++) emit(i);
 * tracker.checkDone();
 */
export interface RestrictionTracker<R, P> {
  /** Claims position `p`; false means stop processing (the position is outside what remains). Positions must be claimed in increasing order. */
  tryClaim(position: P): boolean;
  /** The whole restriction of this call, claimed work included; after a split, the primary. */
  currentRestriction(): R;
  /** Splits off the unprocessed remainder: fractionOfRemainder 0 = checkpoint (residual = everything not yet claimed). Undefined when no split is possible. After a split the tracker's restriction is the primary. */
  trySplit(fractionOfRemainder: number): SplitResult<R> | undefined;
  /** Throws a clear Error when the restriction was not fully processed (e.g. "Last attempted offset was 5 in range [0, 10), claiming work in [6, 10) was not attempted"), as Beam's checkDone. */
  checkDone(): void;
  /** Whether the restriction is finite (Beam's `IsBounded.BOUNDED`). */
  isBounded(): boolean;
  /**
   * Known completed and remaining work (Beam's `HasProgress`); runners use it to size splits.
   * Absent or undefined when the tracker cannot tell (a forwarding tracker mirrors its inner one).
   */
  getProgress?: (() => Progress) | undefined;
}

/**
 * A tracker that forwards to another; runners subclass it to add behaviour around
 * `tryClaim` (self-checkpointing) while the user's tracker keeps the restriction.
 */
export abstract class ForwardingRestrictionTracker<R, P> implements RestrictionTracker<R, P> {
  constructor(protected readonly inner: RestrictionTracker<R, P>) {}

  tryClaim(position: P): boolean {
    return this.inner.tryClaim(position);
  }
  currentRestriction(): R {
    return this.inner.currentRestriction();
  }
  trySplit(fractionOfRemainder: number): SplitResult<R> | undefined {
    return this.inner.trySplit(fractionOfRemainder);
  }
  checkDone(): void {
    this.inner.checkDone();
  }
  isBounded(): boolean {
    return this.inner.isBounded();
  }
  get getProgress(): (() => Progress) | undefined {
    const inner = this.inner;
    return inner.getProgress === undefined ? undefined : () => inner.getProgress!();
  }
}
