import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsValueCoder, decodeFromBytes, encodeToBytes } from "../../coders/index.js";
import { MIN_TIMESTAMP, type Instant } from "../../model/index.js";
import { ManualWatermarkEstimator, type ProcessContinuation, type SplittableProcessContext } from "../../transforms/index.js";
import type { FileMetadata } from "../filesystems/index.js";
import { GrowthTracker, initialGrowthState, type GrowthState, type PollClaim } from "./growth-tracker.js";
import { Growth, type TerminationCondition } from "./termination-condition.js";
import { WatchFilesFn } from "./watch-files-fn.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-watch-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface PollOutcome {
  readonly emitted: { path: string; timestamp: Instant; lastModified: number }[];
  readonly watermark: Instant;
  readonly continuation: ProcessContinuation;
  readonly tracker: GrowthTracker;
  readonly estimatorState: Instant;
}

/**
 * One `process` call of the watch, as a runner makes it: a tracker over `restriction`, a
 * manual estimator from `watermarkState`, the processing time `now`.
 */
async function poll(fn: WatchFilesFn, pattern: string, restriction: GrowthState, now: Instant, watermarkState: Instant = MIN_TIMESTAMP): Promise<PollOutcome> {
  const tracker = fn.newTracker(pattern, restriction);
  const estimator = fn.newWatermarkEstimator(watermarkState);
  const emitted: PollOutcome["emitted"] = [];
  const ctx = {
    tracker,
    watermarkEstimator: estimator,
    processingTime: now,
    outputWithTimestamp: (m: FileMetadata, timestamp: Instant) => emitted.push({ path: path.basename(m.path), timestamp, lastModified: m.lastModifiedMillis }),
  } as unknown as SplittableProcessContext<FileMetadata, GrowthState, PollClaim>;
  const continuation = await fn.process(pattern, ctx);
  return { emitted, watermark: estimator.currentWatermark(), continuation, tracker, estimatorState: estimator.getState() };
}

/** The residual a runner keeps after a call that returned resume (a checkpoint at fraction 0). */
function residualOf(outcome: PollOutcome): GrowthState {
  const split = outcome.tracker.trySplit(0);
  expect(split).toBeDefined();
  return split!.residual;
}

function watch(stopAfter: TerminationCondition = Growth.never(), matchUpdatedFiles = false): WatchFilesFn {
  return new WatchFilesFn({ interval: 1000, stopAfter, matchUpdatedFiles, where: "test" });
}

describe("WatchFilesFn (Beam's Watch.growthOf(MatchPollFn))", () => {
  it("emits each file once across polls, timestamped with the poll's time, which becomes the watermark", async () => {
    const fn = watch();
    const pattern = path.join(dir, "*.txt");
    await writeFile(path.join(dir, "a.txt"), "a");
    const first = await poll(fn, pattern, fn.getInitialRestriction(), 1_000);
    expect(first.emitted.map((e) => [e.path, e.timestamp])).toEqual([["a.txt", 1_000]]);
    expect(first.watermark).toBe(1_000);
    expect(first.continuation).toEqual({ kind: "resume", delay: 1000 });

    await writeFile(path.join(dir, "b.txt"), "b");
    const second = await poll(fn, pattern, residualOf(first), 2_000, first.estimatorState);
    expect(second.emitted.map((e) => [e.path, e.timestamp])).toEqual([["b.txt", 2_000]]);
    expect(second.watermark).toBe(2_000);

    // Nothing new: nothing emitted, but the watermark still moves to the poll's time.
    const third = await poll(fn, pattern, residualOf(second), 3_000, second.estimatorState);
    expect(third.emitted).toEqual([]);
    expect(third.watermark).toBe(3_000);
  });

  it("emits a file again when its modification time changes only with matchUpdatedFiles", async () => {
    const pattern = path.join(dir, "*.txt");
    const file = path.join(dir, "a.txt");
    await writeFile(file, "v1");
    await utimes(file, 1_000, 1_000);
    for (const matchUpdatedFiles of [false, true]) {
      const fn = watch(Growth.never(), matchUpdatedFiles);
      const first = await poll(fn, pattern, fn.getInitialRestriction(), 10);
      await utimes(file, 2_000, 2_000);
      const second = await poll(fn, pattern, residualOf(first), 20);
      expect(first.emitted.map((e) => e.lastModified)).toEqual([1_000_000]);
      expect(second.emitted.map((e) => e.lastModified)).toEqual(matchUpdatedFiles ? [2_000_000] : []);
      await utimes(file, 1_000, 1_000);
    }
  });

  it("stops polling when the termination condition holds, as Beam's Growth conditions decide", async () => {
    const pattern = path.join(dir, "*.txt");
    await writeFile(path.join(dir, "a.txt"), "a");
    // afterIterations(2): the second poll is the last.
    const iterations = watch(Growth.afterIterations(2));
    const p1 = await poll(iterations, pattern, iterations.getInitialRestriction(), 0);
    expect(p1.continuation.kind).toBe("resume");
    const p2 = await poll(iterations, pattern, residualOf(p1), 10);
    expect(p2.continuation.kind).toBe("stop");
    expect(() => p2.tracker.checkDone()).not.toThrow();
    // A runner checkpoint after the last poll's claim leaves nothing to poll.
    expect(p2.tracker.trySplit(0)?.residual).toEqual({ kind: "done", pending: { outputs: [], watermark: null } });

    // afterTotalOf(100): strictly more than 100 ms after the first poll.
    const total = watch(Growth.afterTotalOf(100));
    const t1 = await poll(total, pattern, total.getInitialRestriction(), 1_000);
    const t2 = await poll(total, pattern, residualOf(t1), 1_100);
    expect(t2.continuation.kind).toBe("resume");
    const t3 = await poll(total, pattern, residualOf(t2), 1_101);
    expect(t3.continuation.kind).toBe("stop");

    // afterTimeSinceNewOutput(50): counts from the last poll that found a new file.
    const idle = watch(Growth.afterTimeSinceNewOutput(50));
    const i1 = await poll(idle, pattern, idle.getInitialRestriction(), 0);
    await writeFile(path.join(dir, "b.txt"), "b");
    const i2 = await poll(idle, pattern, residualOf(i1), 40);
    const i3 = await poll(idle, pattern, residualOf(i2), 90);
    expect(i3.continuation.kind).toBe("resume");
    const i4 = await poll(idle, pattern, residualOf(i3), 91);
    expect(i4.continuation.kind).toBe("stop");
  });

  it("re-emits the claimed poll of a retried bundle from the primary, and polls no more", async () => {
    const fn = watch();
    const pattern = path.join(dir, "*.txt");
    await writeFile(path.join(dir, "a.txt"), "a");
    const first = await poll(fn, pattern, fn.getInitialRestriction(), 5);
    const split = first.tracker.trySplit(0)!;
    expect(split.primary.kind).toBe("done");
    await writeFile(path.join(dir, "late.txt"), "x");
    const replay = await poll(fn, pattern, split.primary, 99);
    expect(replay.emitted.map((e) => [e.path, e.timestamp])).toEqual([["a.txt", 5]]);
    expect(replay.continuation.kind).toBe("stop");
  });

  it("keeps its restriction as plain data, so a checkpoint restores the files already emitted", async () => {
    const fn = watch(Growth.eitherOf(Growth.afterIterations(10), Growth.afterTimeSinceNewOutput(1_000)));
    const pattern = path.join(dir, "*.txt");
    await writeFile(path.join(dir, "a.txt"), "a");
    const first = await poll(fn, pattern, fn.getInitialRestriction(), 7);
    const residual = residualOf(first);
    const restored = decodeFromBytes(jsValueCoder, encodeToBytes(jsValueCoder, residual)) as GrowthState;
    expect(restored).toEqual(residual);
    await writeFile(path.join(dir, "b.txt"), "b");
    const next = await poll(fn, pattern, restored, 8, first.estimatorState);
    expect(next.emitted.map((e) => e.path)).toEqual(["b.txt"]);
  });
});

describe("GrowthTracker", () => {
  const claim = (keys: string[], last = false): PollClaim => ({
    result: { outputs: keys.map((key) => ({ key, metadata: { path: key, sizeBytes: 0, lastModifiedMillis: 1 }, timestamp: 1 })), watermark: 1 },
    terminationState: null,
    last,
  });

  it("claims one poll result per call and refuses keys already completed", () => {
    const tracker = new GrowthTracker({ kind: "polling", completed: new Map([["a", 0]]), pollWatermark: null, terminationState: null });
    expect(tracker.tryClaim(claim(["a"]))).toBe(false);
    expect(tracker.tryClaim(claim(["b"]))).toBe(true);
    expect(tracker.tryClaim(claim(["c"]))).toBe(false);
  });

  it("checkpointed before any claim hands the whole restriction back and fails later claims", () => {
    const state = initialGrowthState();
    const tracker = new GrowthTracker(state);
    const split = tracker.trySplit(0)!;
    expect(split.residual).toBe(state);
    expect(split.primary).toEqual({ kind: "done", pending: { outputs: [], watermark: null } });
    expect(tracker.tryClaim(claim(["a"]))).toBe(false);
    expect(() => tracker.checkDone()).not.toThrow();
  });

  it("fails checkDone when a call neither claimed nor was checkpointed", () => {
    expect(() => new GrowthTracker(initialGrowthState()).checkDone()).toThrow(/must claim one poll result/);
  });
});

describe("Growth termination conditions", () => {
  it("follow Beam's boundaries: strictly longer durations, never before the first new output", () => {
    const total = Growth.afterTotalOf(5);
    expect(total.canStopPolling(5, total.forNewInput(0, "p"))).toBe(false);
    expect(total.canStopPolling(6, total.forNewInput(0, "p"))).toBe(true);
    const idle = Growth.afterTimeSinceNewOutput(5);
    let s = idle.forNewInput(0, "p");
    expect(idle.canStopPolling(100, s)).toBe(false);
    s = idle.onSeenNewOutput(100, s);
    expect(idle.canStopPolling(105, s)).toBe(false);
    expect(idle.canStopPolling(106, s)).toBe(true);
    const both = Growth.allOf(Growth.afterIterations(1), Growth.afterTotalOf(10));
    const b = both.onPollComplete(both.forNewInput(0, "p"));
    expect(both.canStopPolling(5, b)).toBe(false);
    expect(both.canStopPolling(11, b)).toBe(true);
    expect(Growth.never().canStopPolling(Number.MAX_SAFE_INTEGER, null)).toBe(false);
    expect(() => Growth.afterIterations(-1)).toThrow(/integer >= 0/);
  });
});

// The manual estimator is what the runner reads after each call.
it("uses a manual watermark estimator starting at the minimum timestamp", () => {
  expect(watch().newWatermarkEstimator(watch().getInitialWatermarkState())).toBeInstanceOf(ManualWatermarkEstimator);
  expect(watch().getInitialWatermarkState()).toBe(MIN_TIMESTAMP);
});
