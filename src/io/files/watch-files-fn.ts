import { MIN_TIMESTAMP, type Duration, type Instant } from "../../model/index.js";
import {
  ManualWatermarkEstimator,
  ProcessContinuation,
  type SplittableDoFn,
  type SplittableProcessContext,
  type WatermarkEstimator,
} from "../../transforms/index.js";
import type { FileMetadata } from "../filesystems/index.js";
import { FileIOError } from "./file-io-error.js";
import { GrowthTracker, initialGrowthState, type GrowthState, type PollClaim, type PolledFile } from "./growth-tracker.js";
import { matchPattern } from "./match-pattern.js";
import type { TerminationCondition } from "./termination-condition.js";

/** How a continuous match polls (resolved `continuously` options). */
export interface WatchSettings {
  readonly interval: Duration;
  readonly stopAfter: TerminationCondition;
  readonly matchUpdatedFiles: boolean;
  /** The transform's name, for messages. */
  readonly where: string;
}

/**
 * Beam's `Watch.growthOf(MatchPollFn)` as FileIO uses it: a splittable DoFn from a file
 * pattern to the files that appear under it. Each `process` call is one poll (with the
 * runner's processing time `now`):
 *
 * 1. match the pattern (an empty match is fine: the folder may fill later);
 * 2. keep the files whose key is not completed — the key is the path, or with
 *    `matchUpdatedFiles` the path and modification time, so a rewritten file comes again;
 * 3. claim them with the termination state after this poll (one claim per call);
 * 4. emit each with timestamp `now` and set the watermark to `now` (Beam's MatchPollFn:
 *    `PollResult.incomplete(now, files).withWatermark(now)`), so downstream event-time
 *    windows close as polling goes on;
 * 5. stop if the termination condition holds, else resume after `interval`.
 *
 * The watermark estimator is manual and starts at MIN_TIMESTAMP; a finished pattern's
 * restriction is done, and its watermark then goes to the end of time.
 *
 * @example patterns.apply(splittableParDo(new WatchFilesFn({ interval: 1000, stopAfter: Growth.never(), matchUpdatedFiles: false, where: "watch" }), { unbounded: true }))
 */
export class WatchFilesFn implements SplittableDoFn<string, FileMetadata, GrowthState, PollClaim> {
  constructor(readonly settings: WatchSettings) {}

  getInitialRestriction(): GrowthState {
    return initialGrowthState();
  }

  newTracker(_pattern: string, restriction: GrowthState): GrowthTracker {
    return new GrowthTracker(restriction);
  }

  getInitialWatermarkState(): Instant {
    return MIN_TIMESTAMP;
  }

  newWatermarkEstimator(state: unknown): WatermarkEstimator<Instant> {
    return new ManualWatermarkEstimator(typeof state === "number" ? state : MIN_TIMESTAMP);
  }

  // A continuous match never ends by itself: on drain, stop polling (Beam drops an unbounded restriction).
  truncateRestriction(): GrowthState | undefined {
    return undefined;
  }

  async process(pattern: string, ctx: SplittableProcessContext<FileMetadata, GrowthState, PollClaim>): Promise<ProcessContinuation> {
    const restriction = ctx.tracker.currentRestriction();
    if (restriction.kind === "done") {
      // A retried bundle whose poll was claimed before: emit that poll's files again, poll no more.
      const pending = restriction.pending;
      if (ctx.tracker.tryClaim({ result: pending, terminationState: undefined, last: true })) {
        for (const file of pending.outputs) ctx.outputWithTimestamp(file.metadata, file.timestamp);
        if (pending.watermark !== null) setWatermark(ctx, pending.watermark);
      }
      return ProcessContinuation.stop();
    }

    const now = ctx.processingTime;
    const condition = this.settings.stopAfter;
    // The condition starts at the first poll, on the runner's clock.
    let terminationState = restriction.terminationState === undefined ? condition.forNewInput(now, pattern) : restriction.terminationState;
    const matched = await matchPattern(pattern, "ALLOW", this.settings.where);
    const fresh = this.newFiles(matched, restriction.completed, now);
    if (fresh.length > 0) terminationState = condition.onSeenNewOutput(now, terminationState);
    terminationState = condition.onPollComplete(terminationState);
    const last = condition.canStopPolling(now, terminationState);
    const claim: PollClaim = { result: { outputs: fresh, watermark: now }, terminationState, last };
    if (!ctx.tracker.tryClaim(claim)) return ProcessContinuation.stop();
    for (const file of fresh) ctx.outputWithTimestamp(file.metadata, file.timestamp);
    setWatermark(ctx, now);
    return last ? ProcessContinuation.stop() : ProcessContinuation.resume(this.settings.interval);
  }

  /** The matched files not emitted before, each once (Beam's computeNeverSeenBeforeResults). */
  private newFiles(matched: readonly FileMetadata[], completed: ReadonlyMap<string, Instant>, now: Instant): PolledFile[] {
    const fresh = new Map<string, PolledFile>();
    for (const metadata of matched) {
      const key = this.keyOf(metadata);
      if (!completed.has(key) && !fresh.has(key)) fresh.set(key, { key, metadata, timestamp: now });
    }
    return [...fresh.values()];
  }

  private keyOf(m: FileMetadata): string {
    if (!this.settings.matchUpdatedFiles) return m.path;
    if (!(m.lastModifiedMillis > 0)) {
      // Beam's ExtractFilenameAndLastUpdateFn refuses a file without a modification time.
      throw new FileIOError(
        `${this.settings.where}: matchUpdatedFiles needs each file's modification time, but the file system reports none for "${m.path}". ` +
          `Watch this file system without matchUpdatedFiles.`,
        { retryable: false },
      );
    }
    return JSON.stringify([m.path, m.lastModifiedMillis]);
  }
}

function setWatermark(ctx: SplittableProcessContext<FileMetadata, GrowthState, PollClaim>, watermark: Instant): void {
  const estimator = ctx.watermarkEstimator;
  if (estimator instanceof ManualWatermarkEstimator) estimator.setWatermark(watermark);
}
