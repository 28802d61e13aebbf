import { describe } from "vitest";
import { IntervalWindow, Triggers, assertThat, combinePerKey, fixedWindows, globalWindows, kv, sum, windowInto, type KV } from "../../../src/index.js";
import { testStream } from "../../../src/testing/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { GLOBAL_MAX, groupScript, pane, sumScript } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);
const earlyTwoLateOne = Triggers.afterWatermark({ early: Triggers.afterCount(2), late: Triggers.afterCount(1) });

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: accumulation modes on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("emits only the elements since the last firing in discarding mode", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("repeats all earlier elements in every pane in accumulating mode", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2) }),
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [1, 2, 3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("accumulates across early, on-time and late panes", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | a:2@2s | a:3@3s | wm 12s | a:4@4s | wm 30s", tenSeconds, {
          trigger: earlyTwoLateOne,
          accumulationMode: "ACCUMULATING",
          allowedLateness: 10_000,
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 3), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", 6), 9_999, "0..10000", "ON_TIME#1/0"),
          pane(kv("a", 10), 9_999, "0..10000", "LATE#2/1"),
        ]);
      });
    });

    it("discards across early, on-time and late panes", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | a:2@2s | a:3@3s | wm 12s | a:4@4s | wm 30s", tenSeconds, {
          trigger: earlyTwoLateOne,
          accumulationMode: "DISCARDING",
          allowedLateness: 10_000,
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 3), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", 3), 9_999, "0..10000", "ON_TIME#1/0"),
          pane(kv("a", 4), 9_999, "0..10000", "LATE#2/1"),
        ]);
      });
    });

    it("emits the combiner's empty result for an empty on-time pane", async () => {
      await runOn(runner, (p) => {
        // The buffer of a combining GroupByKey reads as extractOutput(createAccumulator()).
        const out = sumScript(p, "a:1@1s | a:2@2s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2) }),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 3), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", 0), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("keeps accumulating a global window across many firings", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | a:2@2s | b:10@3s | a:3@3s", globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterCount(1)),
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), GLOBAL_MAX, "global", "EARLY#0/-1 first"),
          pane(kv("a", 3), GLOBAL_MAX, "global", "EARLY#1/-1"),
          pane(kv("a", 6), GLOBAL_MAX, "global", "EARLY#2/-1"),
          pane(kv("a", 6), GLOBAL_MAX, "global", "ON_TIME#3/0 last"),
          pane(kv("b", 10), GLOBAL_MAX, "global", "EARLY#0/-1 first"),
          pane(kv("b", 10), GLOBAL_MAX, "global", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("accumulates a hot-key fanout's panes once: the pre-combine discards, the final combine accumulates", async () => {
      // As Beam Java's PerKeyWithHotKeyFanout: an accumulating pre-combine would add each
      // earlier pane again at the final combine (b's on-time pane was 200 for one 100).
      await runOn(runner, (p) => {
        const sums = p
          .apply(testStream<KV<string, number>>("b:100@5s a:1@1s | a:2@2s | a:3@3s | wm 10s", { kv: true }))
          .apply(windowInto(tenSeconds, { trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }), accumulationMode: "ACCUMULATING" }))
          .apply(combinePerKey(sum(), { hotKeyFanout: 3 }));
        assertThat(sums).inOnTimePane(new IntervalWindow(0, 10_000)).containsInAnyOrder([kv("a", 6), kv("b", 100)]);
      });
    });
  });
}
