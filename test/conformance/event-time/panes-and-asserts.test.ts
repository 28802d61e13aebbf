import { describe } from "vitest";
import {
  IntervalWindow,
  Triggers,
  assertThat,
  combinePerKey,
  fixedWindows,
  kv,
  sum,
  testStream,
  windowInto,
  type KV,
} from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { groupScript, pane, sumScript } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);
const first = new IntervalWindow(0, 10_000);
const earlyAndLate = Triggers.afterWatermark({ early: Triggers.afterCount(1), late: Triggers.afterCount(1) });

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: PaneInfo and pane assertions on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("numbers panes EARLY, EARLY, ON_TIME, LATE, LATE with index and non-speculative index", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | a:2@2s | wm 12s | a:3@3s | a:4@4s | wm 40s", tenSeconds, {
          trigger: earlyAndLate,
          accumulationMode: "ACCUMULATING",
          allowedLateness: 20_000,
        });
        // PaneInfoTracker: nonSpeculativeIndex is -1 for EARLY panes, then 0, 1, 2 from the
        // on-time pane; only the first pane is first; no pane is last (the GC pane is empty
        // and LATE, so it is not emitted).
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", 3), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", 3), 9_999, "0..10000", "ON_TIME#2/0"),
          pane(kv("a", 6), 9_999, "0..10000", "LATE#3/1"),
          pane(kv("a", 10), 9_999, "0..10000", "LATE#4/2"),
        ]);
      });
    });

    it("marks the garbage-collection pane last when it carries late data a never late trigger held back", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | wm 12s | a:2@2s | a:3@3s | wm 30s", tenSeconds, {
          trigger: Triggers.afterWatermark({ late: Triggers.never() }),
          accumulationMode: "DISCARDING",
          allowedLateness: 10_000,
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", [2, 3]), 9_999, "0..10000", "LATE#1/1 last"),
        ]);
      });
    });

    it("checks the on-time pane alone with inOnTimePane", async () => {
      await runOn(runner, (p) => {
        const sums = p
          .apply(testStream<KV<string, number>>("a:1@1s | a:2@2s | wm 12s | a:3@3s | wm 40s", { kv: true }))
          .apply(windowInto(tenSeconds, { trigger: earlyAndLate, accumulationMode: "ACCUMULATING", allowedLateness: 20_000 }))
          .apply(combinePerKey(sum()));
        assertThat(sums).inOnTimePane(first).containsInAnyOrder([kv("a", 3)]);
      });
    });

    it("checks all early panes together with inEarlyPane and all late panes with inLatePane", async () => {
      await runOn(runner, (p) => {
        const sums = p
          .apply(testStream<KV<string, number>>("a:1@1s | a:2@2s | wm 12s | a:3@3s | a:4@4s | wm 40s", { kv: true }))
          .apply(windowInto(tenSeconds, { trigger: earlyAndLate, accumulationMode: "DISCARDING", allowedLateness: 20_000 }))
          .apply(combinePerKey(sum()));
        assertThat(sums).inEarlyPane(first).containsInAnyOrder([kv("a", 1), kv("a", 2)]);
        assertThat(sums).inLatePane(first).containsInAnyOrder([kv("a", 3), kv("a", 4)]);
      });
    });

    it("checks early and on-time panes together with inCombinedNonLatePanes", async () => {
      await runOn(runner, (p) => {
        const sums = p
          .apply(testStream<KV<string, number>>("a:1@1s | a:2@2s | a:5@5s | wm 12s | a:3@3s | wm 40s", { kv: true }))
          .apply(
            windowInto(tenSeconds, {
              trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2), late: Triggers.afterCount(1) }),
              accumulationMode: "DISCARDING",
              allowedLateness: 20_000,
            }),
          )
          .apply(combinePerKey(sum()));
        assertThat(sums).inCombinedNonLatePanes(first).containsInAnyOrder([kv("a", 3), kv("a", 5)]);
      });
    });

    it("checks the final pane of a never-triggered window with inFinalPane", async () => {
      await runOn(runner, (p) => {
        const sums = p
          .apply(testStream<KV<string, number>>("a:1@1s | wm 5s | a:2@2s | wm 12s | a:4@4s", { kv: true }))
          .apply(windowInto(tenSeconds, { trigger: Triggers.never(), accumulationMode: "DISCARDING", allowedLateness: 5_000 }))
          .apply(combinePerKey(sum()));
        assertThat(sums).inFinalPane(first).containsInAnyOrder([kv("a", 7)]);
        assertThat(sums).inEarlyPane(first).isEmpty();
      });
    });

    it("sees no panes at all for a window that received no data", async () => {
      await runOn(runner, (p) => {
        const sums = p
          .apply(testStream<KV<string, number>>("a:1@1s | a:3@25s", { kv: true }))
          .apply(windowInto(tenSeconds))
          .apply(combinePerKey(sum()));
        assertThat(sums).inWindow(new IntervalWindow(10_000, 20_000)).isEmpty();
        assertThat(sums).inWindow(new IntervalWindow(20_000, 30_000)).containsInAnyOrder([kv("a", 3)]);
      });
    });

    it("marks the single on-time pane first and last with lateness 0", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s b:2@2s | wm 10s | a:3@15s", tenSeconds);
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("b", 2), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("a", 3), 19_999, "10000..20000", "ON_TIME#0/0 first last"),
        ]);
      });
    });
  });
}
