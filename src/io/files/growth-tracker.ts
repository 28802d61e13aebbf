import type { Instant } from "../../model/index.js";
import { SplittableDoFnError, type RestrictionTracker, type SplitResult } from "../../transforms/index.js";
import type { FileMetadata } from "../filesystems/file-system.js";

/**
 * The restriction of a continuous match (Beam's `Watch` GrowthState), plain data so that the
 * runner's restriction coder writes it into checkpoints as it is:
 *
 * - `polling` (Beam's PollingGrowthState): the pattern is still watched. `completed` maps the
 *   key of every file already emitted (its path; with matchUpdatedFiles its path and
 *   modification time) to the timestamp it was emitted with; `pollWatermark` is the last
 *   poll's watermark; `terminationState` is the TerminationCondition's state (undefined
 *   before the first poll, whose time starts the condition).
 * - `done` (Beam's NonPollingGrowthState): exactly one poll's result, to be emitted again if
 *   the bundle that claimed it is retried, and no more polling. Empty when the watch is over.
 *
 * A restored job resumes from the checkpointed `polling` restriction, whose `completed`
 * holds every file emitted by the bundles the checkpoint covers, so none is emitted twice.
 */
export type GrowthState = PollingGrowthState | DoneGrowthState;

/** The restriction of a pattern still being polled. */
export interface PollingGrowthState {
  readonly kind: "polling";
  readonly completed: ReadonlyMap<string, Instant>;
  readonly pollWatermark: Instant | null;
  readonly terminationState: unknown;
}

/** The restriction of one claimed poll result (and nothing after it). */
export interface DoneGrowthState {
  readonly kind: "done";
  readonly pending: PollResult;
}

/** A file emitted by a poll, with its key and the timestamp it is emitted with. */
export interface PolledFile {
  readonly key: string;
  readonly metadata: FileMetadata;
  readonly timestamp: Instant;
}

/** One poll's new files and watermark (Beam's Watch.Growth.PollResult). */
export interface PollResult {
  readonly outputs: readonly PolledFile[];
  readonly watermark: Instant | null;
}

/**
 * What a poll claims: its new files, the termination state after it, and whether polling
 * ends with it (so that a runner checkpoint taken after this claim leaves no residual to
 * poll once more).
 */
export interface PollClaim {
  readonly result: PollResult;
  readonly terminationState: unknown;
  readonly last: boolean;
}

const EMPTY: DoneGrowthState = { kind: "done", pending: { outputs: [], watermark: null } };

/**
 * Beam's Watch GrowthTracker: a `process` call claims exactly one poll result. A `polling`
 * restriction accepts a result none of whose keys is completed; a `done` one only its own
 * pending result. A checkpoint (`trySplit`) after the claim keeps the claimed result as the
 * primary (`done`) and returns, as the residual, the polling state with the claimed keys
 * added to `completed`; before any claim the residual is the whole restriction.
 *
 * @example const tracker = new GrowthTracker(initialPollingState()); tracker.tryClaim(claim);
 */
export class GrowthTracker implements RestrictionTracker<GrowthState, PollClaim> {
  private state: GrowthState;
  private claimed: PollClaim | undefined;
  private shouldStop = false;

  constructor(state: GrowthState) {
    this.state = state;
  }

  currentRestriction(): GrowthState {
    return this.state;
  }

  tryClaim(claim: PollClaim): boolean {
    if (this.shouldStop) return false;
    const keys = claim.result.outputs.map((o) => o.key);
    const state = this.state;
    if (state.kind === "polling") {
      if (keys.some((k) => state.completed.has(k))) return false;
    } else {
      const expected = new Set(state.pending.outputs.map((o) => o.key));
      if (expected.size !== new Set(keys).size || keys.some((k) => !expected.has(k))) return false;
    }
    // One poll result per call.
    this.shouldStop = true;
    this.claimed = claim;
    return true;
  }

  trySplit(_fractionOfRemainder: number): SplitResult<GrowthState> | undefined {
    let residual: GrowthState;
    const state = this.state;
    if (this.claimed === undefined) {
      residual = state;
      this.state = EMPTY;
    } else if (state.kind === "done" || this.claimed.last) {
      residual = EMPTY;
      if (state.kind === "polling") this.state = { kind: "done", pending: this.claimed.result };
    } else {
      const completed = new Map(state.completed);
      for (const o of this.claimed.result.outputs) completed.set(o.key, o.timestamp);
      residual = {
        kind: "polling",
        completed,
        pollWatermark: maxNullable(state.pollWatermark, this.claimed.result.watermark),
        terminationState: this.claimed.terminationState,
      };
      this.state = { kind: "done", pending: this.claimed.result };
    }
    this.shouldStop = true;
    return { primary: this.state, residual };
  }

  checkDone(): void {
    if (!this.shouldStop) {
      throw new SplittableDoFnError(
        `The watch of a file pattern ended without claiming its poll result or being checkpointed (restriction ${this.state.kind}); ` +
          `a process call must claim one poll result.`,
      );
    }
  }

  isBounded(): boolean {
    return this.state.kind === "done";
  }
}

/**
 * The restriction of a pattern not polled yet.
 *
 * @example new GrowthTracker(initialGrowthState())
 */
export function initialGrowthState(): PollingGrowthState {
  return { kind: "polling", completed: new Map(), pollWatermark: null, terminationState: undefined };
}

function maxNullable(a: Instant | null, b: Instant | null): Instant | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
