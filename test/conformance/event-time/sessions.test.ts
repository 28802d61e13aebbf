import { describe, expect } from "vitest";
import { Triggers, assertThat, kv, sessions } from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { counter, groupScript, pane, runFor } from "./helpers.js";

const fiveSecondGap = sessions(5_000);

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: session windows on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("restarts the pane sequence of a session that an early-fired session merged into, accumulating its contents", async () => {
      await runOn(runner, (p) => {
        // The merge makes a new window; ReduceFnRunner clears the PaneInfo of merged-away
        // windows, so its first pane is first again. Accumulating buffers are concatenated.
        const out = groupScript(p, "a:1@1s | a:2@3s | wm 20s", fiveSecondGap, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }),
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 5_999, "1000..6000", "EARLY#0/-1 first"),
          pane(kv("a", [1, 2]), 7_999, "1000..8000", "EARLY#0/-1 first"),
          pane(kv("a", [1, 2]), 7_999, "1000..8000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("carries nothing of an early-fired session into the merged one in discarding mode", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@3s | wm 20s", fiveSecondGap, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 5_999, "1000..6000", "EARLY#0/-1 first"),
          pane(kv("a", [2]), 7_999, "1000..8000", "EARLY#0/-1 first"),
          pane(kv("a", []), 7_999, "1000..8000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("merges a late element bridging two fired sessions into one late pane holding only the new element, discarding", async () => {
      await runOn(runner, (p) => {
        // Both sessions fired on time but stay active (lateness 30 s), so the late
        // proto-session [5500,10500) merges all three; their buffers were discarded.
        const out = groupScript(p, "a:1@1s | a:2@10s | wm 20s | a:3@5500 | wm 60s", fiveSecondGap, { allowedLateness: 30_000 });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 5_999, "1000..6000", "ON_TIME#0/0 first"),
          pane(kv("a", [2]), 14_999, "10000..15000", "ON_TIME#0/0 first"),
          pane(kv("a", [3]), 14_999, "1000..15000", "LATE#0/0 first"),
        ]);
      });
    });

    it("merges a late element bridging two fired sessions into one late pane with everything, accumulating", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@10s | wm 20s | a:3@5500 | wm 60s", fiveSecondGap, {
          allowedLateness: 30_000,
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 5_999, "1000..6000", "ON_TIME#0/0 first"),
          pane(kv("a", [2]), 14_999, "10000..15000", "ON_TIME#0/0 first"),
          pane(kv("a", [1, 2, 3]), 14_999, "1000..15000", "LATE#0/0 first"),
        ]);
      });
    });

    it("continues the pane index when a late element falls inside an existing session", async () => {
      await runOn(runner, (p) => {
        // The merge result is the existing active window [1000,8000), whose PaneInfo is kept.
        const out = groupScript(p, "a:1@1s | a:2@3s | wm 20s | a:4@2s | wm 60s", fiveSecondGap, { allowedLateness: 30_000 });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 7_999, "1000..8000", "ON_TIME#0/0 first"),
          pane(kv("a", [4]), 7_999, "1000..8000", "LATE#1/1"),
        ]);
      });
    });

    it("keeps a merged session in its late phase and adds up the late counts of the sessions it merged", async () => {
      await runOn(runner, (p) => {
        // Both sessions fired on time, so their early phase is over. a:4 is a late element of
        // [1000,6000) (late count 1 of 3). a:3 bridges the two sessions: the merged window
        // stays late (Java's ReduceFnRunner hands the trigger only the merged windows that
        // have state, not the late element's own new window; Python's AfterWatermark keeps
        // is_late) with late count 1 + 0 + 1; a:6 extends it again, the count reaches 3 and
        // the late pane fires with all three. Nothing fires at the merges themselves.
        const out = groupScript(p, "a:1@1s | a:2@10s | wm 20s | a:4@1s | a:3@5500 | a:6@12s | wm 60s", fiveSecondGap, {
          trigger: Triggers.afterWatermark({ late: Triggers.afterCount(3) }),
          accumulationMode: "DISCARDING",
          allowedLateness: 30_000,
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 5_999, "1000..6000", "ON_TIME#0/0 first"),
          pane(kv("a", [2]), 14_999, "10000..15000", "ON_TIME#0/0 first"),
          pane(kv("a", [3, 4, 6]), 16_999, "1000..17000", "LATE#0/0 first"),
        ]);
      });
    });

    it("opens a new late session for a late element that merges with nothing", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | wm 8s | wm 20s | a:2@12s | wm 60s", fiveSecondGap, { allowedLateness: 10_000 });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 5_999, "1000..6000", "ON_TIME#0/0 first"),
          pane(kv("a", [2]), 16_999, "12000..17000", "LATE#0/0 first"),
        ]);
      });
    });

    it("merges sessions of a bundle before evaluating the trigger", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s a:2@4s | a:3@20s | wm 30s", fiveSecondGap, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 8_999, "1000..9000", "EARLY#0/-1 first"),
          pane(kv("a", []), 8_999, "1000..9000", "ON_TIME#1/0 last"),
          pane(kv("a", [3]), 24_999, "20000..25000", "ON_TIME#0/0 first last"),
        ]);
      });
    });
    it("merges the processing-time targets of merged sessions to the earliest one", async () => {
      await runOn(runner, (p) => {
        // a:1 arrives at pt 0 (target 5 s), a:2 at pt 3 s (target 8 s); the merged window keeps
        // the earliest target (AfterDelayFromFirstElement.onMerge), so pt 6 s fires it.
        const out = groupScript(p, "a:1@1s | pt +3s | a:2@3s | pt +3s | wm 20s", fiveSecondGap, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(5_000) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 7_999, "1000..8000", "EARLY#0/-1 first"),
          pane(kv("a", []), 7_999, "1000..8000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("does not merge new sessions into a session whose trigger finished, and drops data for that exact window", async () => {
      const result = await runFor(
        runner,
        (p) => {
          // A finished window leaves the active set (ReduceFnRunner.emit), so [2000,7000) does
          // not merge with [1000,6000); a:3 maps exactly onto the closed [1000,6000) and is
          // dropped as closed-window data.
          const out = groupScript(p, "a:1@1s | a:2@2s | a:3@1s | wm 60s", fiveSecondGap, {
            trigger: Triggers.afterCount(1),
            accumulationMode: "DISCARDING",
            allowedLateness: 30_000,
          });
          assertThat(out).containsInAnyOrder([
            pane(kv("a", [1]), 5_999, "1000..6000", "EARLY#0/-1 first last"),
            pane(kv("a", [2]), 6_999, "2000..7000", "EARLY#0/-1 first last"),
          ]);
        },
        { allowUnsafeTriggers: true },
      );
      expect(counter(result, "droppedDueToClosedWindow")).toBe(1);
    });
  });
}
