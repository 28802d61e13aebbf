import { appendFileSync } from "node:fs";
import { expect, it } from "vitest";
import { UnsupportedFeatureError } from "../../src/index.js";
import type { RunnerUnderTest } from "./runners.js";
import { expectPinnedOutcome, normalizeOutcome } from "./pinned-outcomes.js";

// Why a scenario is pinned. Grouped from the failures observed on 2026-11-26 (Prism v2.77.0,
// Flink 1.19 with Beam 2.70.0; Flink's event-time pins regrouped on 2026-12-07, submitted as
// FLINK_EVENT_TIME in runners.ts); each group names what the runner did differently.
const LATE_OUTPUT = "a portable runner's GroupByKey drops late data inside the runner, so groupByKeyWithLateData is embedded-only";
const P_MERGING_TRIGGERS = "Prism rejects stateful triggers on merging windows (apache/beam#31438)";
const P_CUSTOM_MERGING = "Prism rejects user-defined merging WindowFns (WindowingStrategy.MergeStatus NEEDS_MERGE unimplemented)";
const P_PROCESSING_TIME = "Prism runs processing-time triggers on its own clock, not on TestStream's processing-time advances";
const P_EMPTY_PANES = "Prism emits no empty panes (Beam FIRE_ALWAYS on-time panes)";
const P_LATE_DATA = "Prism's late data differs from Beam's ReduceFnRunner: late elements are not dropped and counted, or not fired in late panes as expected";
const P_COUNT_TRIGGERS = "Prism evaluates count triggers per element rather than once per bundle as Beam's DirectRunner does";
const P_HOLDS = "Prism stamps panes differently under EARLIEST/LATEST timestamp combiners (holds per firing and across merges)";
const P_SESSIONS = "Prism merges these session windows differently from Beam (sessions that only touch)";
const F_PROCESSING_TIME = "Flink's TestStream cannot advance processing time ('Advancing Processing time is not supported by the Flink Runner')";
const F_CUSTOM_WINDOWFN = "Flink runs only Beam's standard WindowFns ('Unknown or unsupported WindowFn: beam:window_fn:beam_ts:v1')";
const F_RUNNER_COUNTERS = "Flink does not report the runner's droppedDueToLateness / droppedDueToClosedWindow counters to the submitting SDK";
const F_LATE_DATA =
  "Flink's streaming GroupByKey has not moved its output watermark past a window's end when the window's first pane fires after the input watermark passed it, so that pane is ON_TIME, not LATE (Beam's PaneInfoTracker times a pane LATE once the output watermark is past the window): late-only windows and sessions, and a second GroupByKey, which takes the first one's late pane as on time";
const F_PANES = "Flink evaluates count triggers per element rather than once per bundle as Beam's DirectRunner does: a TestStream line of several elements fires a pane per element";
const EARLIEST_TRANSFORMED =
  "the Runner API has no EARLIEST_TRANSFORMED timestamp combiner: a portable runner takes it as EARLIEST from a WindowFn without getTransformedOutputTime and refuses one that shifts output times";
// Pinned outside the conformance suites (they run LOOPBACK workers, whose bundles the
// submitter records itself): test/portable/worker-metrics.test.ts asserts Spark's answer.
const S_COMMITTED_METRICS =
  "Spark's job server reports user metrics as attempted only (its GetJobMetrics answer has no committed MonitoringInfos: SparkPipelineResult.PortableBatchMode.portableMetrics), so workers in their own processes (PROCESS, EXTERNAL, DOCKER) show no committed values there";

/** Every reason by name, for docs/PORTABLE_PINS.md (test/conformance/portable-pins-doc.test.ts). */
export const PIN_REASONS: Readonly<Record<string, string>> = {
  LATE_OUTPUT,
  P_MERGING_TRIGGERS,
  P_CUSTOM_MERGING,
  P_PROCESSING_TIME,
  P_EMPTY_PANES,
  P_LATE_DATA,
  P_COUNT_TRIGGERS,
  P_HOLDS,
  P_SESSIONS,
  F_PROCESSING_TIME,
  F_CUSTOM_WINDOWFN,
  F_RUNNER_COUNTERS,
  F_LATE_DATA,
  F_PANES,
  EARLIEST_TRANSFORMED,
  S_COMMITTED_METRICS,
};

/**
 * Scenarios a portable runner is known to run differently from Beam's model as the
 * embedded runner implements it, with the reason. A pinned scenario asserts what the
 * runner does instead (pinned-outcomes.json), so a runner (or harness) fix turns the suite
 * red and the pin is removed or re-recorded. Keys are scenario names as written in the test files.
 */
export const PINS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  prism: {
    "accumulates across early, on-time and late panes": P_LATE_DATA,
    "emits the combiner's empty result for an empty on-time pane": P_EMPTY_PANES,
    "routes an element past its window's lateness to the late output with its timestamp and window": LATE_OUTPUT,
    "routes a sliding-window element once per expired window and groups it in the others": LATE_OUTPUT,
    "does not route an element that is late but within the allowed lateness": LATE_OUTPUT,
    "drops an element once the watermark is past its window's end with lateness 0, and counts it": P_COUNT_TRIGGERS,
    "accepts an element that arrives exactly when the watermark is at max timestamp plus lateness": P_LATE_DATA,
    "counts droppedDueToLateness once per dropped window of a sliding-window element": P_COUNT_TRIGGERS,
    "keeps windows open for late data with positive lateness and drops data only after it": P_LATE_DATA,
    "fires a late first pane for a key whose window only ever received late data": P_LATE_DATA,
    "drops elements for a closed window under droppedDueToClosedWindow, and after expiry under droppedDueToLateness": P_LATE_DATA,
    "drops a late element whose own session has expired even if it would bridge two sessions": P_LATE_DATA,
    "numbers panes EARLY, EARLY, ON_TIME, LATE, LATE with index and non-speculative index": P_LATE_DATA,
    "checks the on-time pane alone with inOnTimePane": P_LATE_DATA,
    "restarts the pane sequence of a session that an early-fired session merged into, accumulating its contents": P_MERGING_TRIGGERS,
    "carries nothing of an early-fired session into the merged one in discarding mode": P_MERGING_TRIGGERS,
    "merges a late element bridging two fired sessions into one late pane holding only the new element, discarding": P_LATE_DATA,
    "merges a late element bridging two fired sessions into one late pane with everything, accumulating": P_LATE_DATA,
    "continues the pane index when a late element falls inside an existing session": P_LATE_DATA,
    "opens a new late session for a late element that merges with nothing": P_LATE_DATA,
    "merges sessions of a bundle before evaluating the trigger": P_MERGING_TRIGGERS,
    "merges the processing-time targets of merged sessions to the earliest one": P_MERGING_TRIGGERS,
    "does not merge new sessions into a session whose trigger finished, and drops data for that exact window": P_MERGING_TRIGGERS,
    "computes EARLIEST over the elements since the last firing, and gives an empty pane the max timestamp": P_EMPTY_PANES,
    "stamps discarding early panes by their own elements under EARLIEST": P_HOLDS,
    "holds element by element under EARLIEST: elements behind the watermark in the same bundle do not discard the others' hold": P_HOLDS,
    "gives a late-only pane the window's max timestamp under EARLIEST": P_LATE_DATA,
    "gives a late-only pane the window's max timestamp under LATEST": P_LATE_DATA,
    "combines EARLIEST holds across a session merge": P_HOLDS,
    "combines LATEST holds across a session merge": P_HOLDS,
    "moves END_OF_WINDOW holds to the merged session's end": P_HOLDS,
    "gives a late pane of a merged session its max timestamp even under EARLIEST": P_LATE_DATA,
    "runs afterEach triggers in sequence, each seeing only the elements after its predecessor finished": P_COUNT_TRIGGERS,
    "finishes afterEach of once-triggers after the last one fires, closing the window": P_COUNT_TRIGGERS,
    "fires repeatedly(afterFirst(count, processing time)) on whichever comes first": P_PROCESSING_TIME,
    "fires repeatedly(afterAll(count, processing time)) only once both have been satisfied": P_PROCESSING_TIME,
    "fires orFinally's main trigger until the until-trigger fires one last pane": P_COUNT_TRIGGERS,
    "evaluates a count trigger once per bundle, so a TestStream line of two elements fires one pane": P_COUNT_TRIGGERS,
    "fires a top-level afterCount once, as the last pane, and drops later elements as closed-window data": P_LATE_DATA,
    "fires repeatedly(afterProcessingTime) a delay after each pane's first element": P_PROCESSING_TIME,
    "aligns a processing-time trigger to the next multiple of its period": P_PROCESSING_TIME,
    "aligns a processing-time trigger to its period counted from the offset": P_PROCESSING_TIME,
    "applies a delay before the alignment of a processing-time trigger": P_PROCESSING_TIME,
    "fires the continuation of a processing-time trigger on synchronized processing time after a second GroupByKey": P_PROCESSING_TIME,
    "keeps processing-time trigger targets per key": P_PROCESSING_TIME,
    "fires an empty ON_TIME pane after early firings drained the window in discarding mode": P_EMPTY_PANES,
    "fires a late pane per late element with afterWatermark late firings, accumulating": P_LATE_DATA,
    "fires early, empty on-time and late panes with both early and late firings, discarding": P_EMPTY_PANES,
    "fires early panes on processing time and the rest on time": P_PROCESSING_TIME,
    "does not fire early on processing time that has not passed the delay": P_PROCESSING_TIME,
    "merges session windows per key and keeps sessions that only touch apart": P_SESSIONS,
    "merges windows with a user-defined merging WindowFn, also windows that do not overlap": P_CUSTOM_MERGING,
    "keeps a merged session in its late phase and adds up the late counts of the sessions it merged": P_MERGING_TRIGGERS,
    "stamps each window's pane with the earliest of the WindowFn's transformed output times under EARLIEST_TRANSFORMED": EARLIEST_TRANSFORMED,
    "judges an element's hold by its transformed output time under EARLIEST_TRANSFORMED": EARLIEST_TRANSFORMED,
  },
  flink: {
    "merges a late element bridging two fired sessions into one late pane holding only the new element, discarding": F_LATE_DATA,
    "merges a late element bridging two fired sessions into one late pane with everything, accumulating": F_LATE_DATA,
    "opens a new late session for a late element that merges with nothing": F_LATE_DATA,
    "merges the processing-time targets of merged sessions to the earliest one": F_PROCESSING_TIME,
    "does not merge new sessions into a session whose trigger finished, and drops data for that exact window": F_RUNNER_COUNTERS,
    "stamps discarding early panes by their own elements under EARLIEST": F_PANES,
    "gives a late pane of a merged session its max timestamp even under EARLIEST": F_LATE_DATA,
    "finishes afterEach of once-triggers after the last one fires, closing the window": F_RUNNER_COUNTERS,
    "fires repeatedly(afterFirst(count, processing time)) on whichever comes first": F_PROCESSING_TIME,
    "treats afterAny as afterFirst": F_PROCESSING_TIME,
    "fires repeatedly(afterAll(count, processing time)) only once both have been satisfied": F_PROCESSING_TIME,
    "fires orFinally's main trigger until the until-trigger fires one last pane": F_RUNNER_COUNTERS,
    "fires never() in the global window only at the end of the stream": F_PROCESSING_TIME,
    "evaluates a count trigger once per bundle, so a TestStream line of two elements fires one pane": F_PANES,
    "fires a top-level afterCount once, as the last pane, and drops later elements as closed-window data": F_RUNNER_COUNTERS,
    "fires repeatedly(afterProcessingTime) a delay after each pane's first element": F_PROCESSING_TIME,
    "aligns a processing-time trigger to the next multiple of its period": F_PROCESSING_TIME,
    "aligns a processing-time trigger to its period counted from the offset": F_PROCESSING_TIME,
    "applies a delay before the alignment of a processing-time trigger": F_PROCESSING_TIME,
    "fires processing-time panes in the global window and closes it at the end of the stream": F_PROCESSING_TIME,
    "fires the continuation of a processing-time trigger on synchronized processing time after a second GroupByKey": F_PROCESSING_TIME,
    "keeps processing-time trigger targets per key": F_PROCESSING_TIME,
    "fires early panes on processing time and the rest on time": F_PROCESSING_TIME,
    "does not fire early on processing time that has not passed the delay": F_PROCESSING_TIME,
    "groups by a user-defined non-merging WindowFn that assigns several windows": F_CUSTOM_WINDOWFN,
    "merges windows with a user-defined merging WindowFn, also windows that do not overlap": F_CUSTOM_WINDOWFN,
    "routes an element past its window's lateness to the late output with its timestamp and window": LATE_OUTPUT,
    "routes a sliding-window element once per expired window and groups it in the others": LATE_OUTPUT,
    "does not route an element that is late but within the allowed lateness": LATE_OUTPUT,
    "lets a second GroupByKey see the first one's late panes as late data within the lateness": F_LATE_DATA,
    "drops an element once the watermark is past its window's end with lateness 0, and counts it": F_RUNNER_COUNTERS,
    "accepts an element that arrives exactly when the watermark is at max timestamp plus lateness": F_RUNNER_COUNTERS,
    "counts droppedDueToLateness once per dropped window of a sliding-window element": F_RUNNER_COUNTERS,
    "keeps windows open for late data with positive lateness and drops data only after it": F_RUNNER_COUNTERS,
    "fires a late first pane for a key whose window only ever received late data": F_LATE_DATA,
    "drops elements for a closed window under droppedDueToClosedWindow, and after expiry under droppedDueToLateness": F_RUNNER_COUNTERS,
    "drops a late element whose own session has expired even if it would bridge two sessions": F_RUNNER_COUNTERS,
    "stamps each window's pane with the earliest of the WindowFn's transformed output times under EARLIEST_TRANSFORMED": EARLIEST_TRANSFORMED,
    "judges an element's hold by its transformed output time under EARLIEST_TRANSFORMED": EARLIEST_TRANSFORMED,
  },
};

/**
 * Pins of what a runner cannot do at all: the portable runner refuses such a pipeline
 * before submission (runners/portable/runner-capabilities.ts), and the scenario asserts that
 * refusal, an UnsupportedFeatureError, instead of the output.
 */
export const UNSUPPORTED_REASONS: ReadonlySet<string> = new Set([LATE_OUTPUT, P_CUSTOM_MERGING, F_PROCESSING_TIME, F_CUSTOM_WINDOWFN, EARLIEST_TRANSFORMED]);

/** Portable runners are slower per job; give their scenarios more time than the default. */
const PORTABLE_TIMEOUT_MS = 120_000;

/**
 * With BEAM_TS_PINS_REPORT=<file>, each pinned scenario's outcome is appended to the file
 * as a JSON line ({ runner, scenario, reason, outcome }): how the pins are re-examined
 * against the runners' current behaviour (docs/PORTABLE_PINS.md).
 */
function recordOutcome(runner: string, scenario: string, reason: string, outcome: "passed" | "failed" | "unsupported", err?: unknown): void {
  const file = process.env["BEAM_TS_PINS_REPORT"];
  if (file === undefined || file === "") return;
  const detail = err instanceof Error ? err.message.split("\n").slice(0, 3).join(" ") : undefined;
  // `normalized` is what pinned-outcomes.json records (BEAM_TS_WRITE_PINS_OUTCOMES).
  appendFileSync(file, `${JSON.stringify({ runner, scenario, reason, outcome, detail, normalized: normalizeOutcome(err) })}\n`);
}

/** Runs `fn`, recording whether it passed; rethrows its error. */
async function observed(runner: string, scenario: string, reason: string, fn: () => void | Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    recordOutcome(runner, scenario, reason, err instanceof UnsupportedFeatureError ? "unsupported" : "failed", err);
    throw err;
  }
  recordOutcome(runner, scenario, reason, "passed");
}

/**
 * `it` for a scenario on `runner`; when the scenario is pinned there: a check of the
 * UnsupportedFeatureError for what the runner cannot do, else a check that the runner
 * still ends the scenario as recorded in pinned-outcomes.json (its actual output), so a
 * runner or harness change turns it red.
 */
export function pinnedIt(runner: RunnerUnderTest): (name: string, fn: () => void | Promise<void>, timeout?: number) => void {
  const portable = PINS[runner.name] !== undefined;
  return (name, fn, timeout) => {
    const reason = PINS[runner.name]?.[name];
    const time = timeout ?? (portable ? PORTABLE_TIMEOUT_MS : undefined);
    if (reason === undefined) return it(name, fn, time);
    const run = () => observed(runner.name, name, reason, fn);
    if (UNSUPPORTED_REASONS.has(reason)) return it(name, () => expect(run()).rejects.toBeInstanceOf(UnsupportedFeatureError), time);
    it(name, async () => {
      let failure: unknown;
      try {
        await run();
      } catch (err) {
        failure = err;
      }
      expectPinnedOutcome(runner.name, name, normalizeOutcome(failure));
    }, time);
  };
}
