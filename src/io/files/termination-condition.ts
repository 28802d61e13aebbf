import { ConstructionError, type Duration, type Instant } from "../../model/index.js";

/**
 * When a continuous match stops polling a pattern (Beam's `Watch.Growth.TerminationCondition`).
 * The state is plain data (numbers, arrays, null), because it is part of the watch's
 * restriction and so of every checkpoint; the condition's parameters live in the object,
 * which the pipeline module rebuilds in every worker.
 *
 * The watch calls `forNewInput` at the first poll of a pattern, `onSeenNewOutput` when a poll
 * found files not seen before, `onPollComplete` after every poll, then `canStopPolling`.
 * Times are the runner's processing time.
 */
export interface TerminationCondition<S = unknown> {
  /** The state for a pattern polled for the first time at `now`. */
  forNewInput(now: Instant, pattern: string): S;
  /** The state after a poll at `now` that found new files. */
  onSeenNewOutput(now: Instant, state: S): S;
  /** The state after any poll (counts polls for afterIterations). */
  onPollComplete(state: S): S;
  /** Whether polling may stop at `now`. */
  canStopPolling(now: Instant, state: S): boolean;
  /** A description for messages and logs. */
  toString(state?: S): string;
}

function checkDuration(d: Duration, what: string): void {
  if (!Number.isFinite(d) || d < 0) throw new ConstructionError(`${what}: the duration must be a finite number of milliseconds >= 0, got ${String(d)}.`);
}

/** Beam's Watch.Growth.never(): poll for ever (until the job is drained or cancelled). */
function never(): TerminationCondition<null> {
  return {
    forNewInput: () => null,
    onSeenNewOutput: (_now, s) => s,
    onPollComplete: (s) => s,
    canStopPolling: () => false,
    toString: () => "Never",
  };
}

/**
 * Beam's Watch.Growth.afterTotalOf(d): stop once strictly more than `d` ms have passed since
 * the pattern's first poll. State: that poll's time.
 */
function afterTotalOf(maxMillis: Duration): TerminationCondition<Instant> {
  checkDuration(maxMillis, "Growth.afterTotalOf");
  return {
    forNewInput: (now) => now,
    onSeenNewOutput: (_now, s) => s,
    onPollComplete: (s) => s,
    canStopPolling: (now, started) => now - started > maxMillis,
    toString: (started) => `AfterTotalOf{timeStarted=${String(started)}, maxTimeSinceInput=${maxMillis}ms}`,
  };
}

/**
 * Beam's Watch.Growth.afterTimeSinceNewOutput(d): stop once strictly more than `d` ms have
 * passed since a poll last found a new file. Never stops before the first new file, as in
 * Beam. State: the time of the last new output, or null.
 */
function afterTimeSinceNewOutput(maxMillis: Duration): TerminationCondition<Instant | null> {
  checkDuration(maxMillis, "Growth.afterTimeSinceNewOutput");
  return {
    forNewInput: () => null,
    onSeenNewOutput: (now) => now,
    onPollComplete: (s) => s,
    canStopPolling: (now, last) => last !== null && now - last > maxMillis,
    toString: (last) => `AfterTimeSinceNewOutput{timeOfLastNewOutput=${String(last)}, maxTimeSinceNewOutput=${maxMillis}ms}`,
  };
}

/** Beam's Watch.Growth.afterIterations(n): stop after `n` polls. State: the polls so far. */
function afterIterations(maxIterations: number): TerminationCondition<number> {
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new ConstructionError(`Growth.afterIterations: the number of polls must be an integer >= 0, got ${String(maxIterations)}.`);
  }
  return {
    forNewInput: () => 0,
    onSeenNewOutput: (_now, s) => s,
    onPollComplete: (s) => s + 1,
    canStopPolling: (_now, polls) => polls >= maxIterations,
    toString: (polls) => `AfterIterations{iterations=${String(polls)}, maxIterations=${maxIterations}}`,
  };
}

/** Both conditions' states, as a pair. */
type Pair = readonly [unknown, unknown];

function combined(a: TerminationCondition, b: TerminationCondition, name: string, stop: (x: boolean, y: boolean) => boolean): TerminationCondition<Pair> {
  return {
    forNewInput: (now, pattern) => [a.forNewInput(now, pattern), b.forNewInput(now, pattern)],
    onSeenNewOutput: (now, [x, y]) => [a.onSeenNewOutput(now, x), b.onSeenNewOutput(now, y)],
    onPollComplete: ([x, y]) => [a.onPollComplete(x), b.onPollComplete(y)],
    canStopPolling: (now, [x, y]) => stop(a.canStopPolling(now, x), b.canStopPolling(now, y)),
    toString: (s) => `${name}{${a.toString(s?.[0])}, ${b.toString(s?.[1])}}`,
  };
}

/** Beam's Watch.Growth.eitherOf(a, b): stop when either condition holds. */
function eitherOf(a: TerminationCondition, b: TerminationCondition): TerminationCondition<Pair> {
  return combined(a, b, "EitherOf", (x, y) => x || y);
}

/** Beam's Watch.Growth.allOf(a, b): stop when both conditions hold. */
function allOf(a: TerminationCondition, b: TerminationCondition): TerminationCondition<Pair> {
  return combined(a, b, "AllOf", (x, y) => x && y);
}

/**
 * Beam's `Watch.Growth` termination conditions, for `matchFiles(...).continuously({ stopAfter })`.
 *
 * @example Growth.eitherOf(Growth.afterTotalOf(3_600_000), Growth.afterTimeSinceNewOutput(600_000))
 */
export const Growth = { never, afterTotalOf, afterTimeSinceNewOutput, afterIterations, eitherOf, allOf } as const;
