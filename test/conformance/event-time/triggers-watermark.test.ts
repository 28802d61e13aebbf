import { describe } from "vitest";
import { Triggers, assertThat, fixedWindows, kv } from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { groupScript, pane, sumScript } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: watermark triggers on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("fires the default trigger only once the watermark is past the window's max timestamp, not at it", async () => {
      await runOn(runner, (p) => {
        // Event-time timers fire strictly after their time (WatermarkManager: ts < inWM), and
        // an element with maxTs + lateness == inWM is not dropped (LateDataUtils).
        const out = groupScript(p, "a:1@1s | wm 9999 | a:2@5s | wm 10s", tenSeconds);
        assertThat(out).containsInAnyOrder([pane(kv("a", [1, 2]), 9_999, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("emits a non-final on-time pane with the default trigger and allowed lateness when no late data comes", async () => {
      await runOn(runner, (p) => {
        // The empty GC pane is LATE and suppressed under ClosingBehavior FIRE_IF_NON_EMPTY, so
        // no pane with isLast is ever seen.
        const out = groupScript(p, "a:1@1s | wm 12s | wm 30s", tenSeconds, { allowedLateness: 10_000 });
        assertThat(out).containsInAnyOrder([pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first")]);
      });
    });

    it("fires afterWatermark() without early or late firings like the default trigger when lateness is 0", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s a:2@2s | wm 10s | a:3@12s", tenSeconds, {
          trigger: Triggers.afterWatermark(),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("a", [3]), 19_999, "10000..20000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("fires an empty ON_TIME pane after early firings drained the window in discarding mode", async () => {
      await runOn(runner, (p) => {
        // OnTimeBehavior FIRE_ALWAYS: the on-time pane is emitted even when empty; with lateness
        // 0 it is also the GC firing, so it is last.
        const out = groupScript(p, "a:1@1s | a:2@2s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [2]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("fires a late pane per late element with afterWatermark late firings, accumulating", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | wm 12s | a:2@2s | a:3@3s | wm 30s", tenSeconds, {
          trigger: Triggers.afterWatermark({ late: Triggers.afterCount(1) }),
          accumulationMode: "ACCUMULATING",
          allowedLateness: 10_000,
        });
        // Late panes count on from the on-time pane (nonSpeculativeIndex 1, 2); the GC pane
        // has no new elements and is not emitted.
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", 3), 9_999, "0..10000", "LATE#1/1"),
          pane(kv("a", 6), 9_999, "0..10000", "LATE#2/2"),
        ]);
      });
    });

    it("fires early, empty on-time and late panes with both early and late firings, discarding", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | wm 12s | a:3@3s | wm 30s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1), late: Triggers.afterCount(1) }),
          accumulationMode: "DISCARDING",
          allowedLateness: 10_000,
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [2]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0"),
          pane(kv("a", [3]), 9_999, "0..10000", "LATE#3/1"),
        ]);
      });
    });

    it("fires early panes on processing time and the rest on time", async () => {
      await runOn(runner, (p) => {
        // a:1 arrives at processing time 0, so the early trigger fires once processing time is
        // after 5 s (AfterDelayFromFirstElement.shouldFire: now.isAfter(delayedUntil)).
        const out = groupScript(p, "a:1@1s | pt +2s | a:2@2s | pt +4s | a:3@3s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(5_000) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("does not fire early on processing time that has not passed the delay", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | pt +3s | a:2@2s | pt +1s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(5_000) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([pane(kv("a", [1, 2]), 9_999, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("keeps firing late panes until the window expires and drops what comes after", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | wm 12s | a:2@2s | wm 19999 | a:3@3s | wm 20s | a:4@4s", tenSeconds, {
          trigger: Triggers.afterWatermark({ late: Triggers.afterCount(1) }),
          accumulationMode: "DISCARDING",
          allowedLateness: 10_000,
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", 2), 9_999, "0..10000", "LATE#1/1"),
          pane(kv("a", 3), 9_999, "0..10000", "LATE#2/2"),
        ]);
      });
    });
  });
}
