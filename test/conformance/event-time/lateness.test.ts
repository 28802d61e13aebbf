import { describe, expect } from "vitest";
import { Triggers, assertThat, fixedWindows, kv, sessions, slidingWindows } from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { counter, groupScript, pane, runFor, sumScript } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: allowed lateness on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("drops an element once the watermark is past its window's end with lateness 0, and counts it", async () => {
      const result = await runFor(runner, (p) => {
        // LateDataDroppingDoFnRunner: drop iff maxTs + lateness < input watermark (9999 < 10000).
        const out = groupScript(p, "a:1@1s | wm 10s | a:2@2s", tenSeconds);
        assertThat(out).containsInAnyOrder([pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first last")]);
      });
      expect(counter(result, "droppedDueToLateness")).toBe(1);
    });

    it("accepts an element that arrives exactly when the watermark is at max timestamp plus lateness", async () => {
      const result = await runFor(runner, (p) => {
        // The drop test is strict: 9999 + 5000 == 14999 is kept, and fires a late pane.
        const out = sumScript(p, "a:1@1s | wm 14999 | a:2@2s | wm 15s | a:3@3s", tenSeconds, { allowedLateness: 5_000 });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", 2), 9_999, "0..10000", "LATE#1/1"),
        ]);
      });
      expect(counter(result, "droppedDueToLateness")).toBe(1);
    });

    it("counts droppedDueToLateness once per dropped window of a sliding-window element", async () => {
      const result = await runFor(runner, (p) => {
        // a:1@5s is in [-20000,10000), [-10000,20000) and [0,30000); at watermark 25 s the
        // first two are expired (counted per element and window), the third is on time.
        const out = sumScript(p, "wm 25s | a:1@5s", slidingWindows(30_000, 10_000));
        assertThat(out).containsInAnyOrder([pane(kv("a", 1), 29_999, "0..30000", "ON_TIME#0/0 first last")]);
      });
      expect(counter(result, "droppedDueToLateness")).toBe(2);
    });

    it("keeps windows open for late data with positive lateness and drops data only after it", async () => {
      const result = await runFor(runner, (p) => {
        const out = groupScript(p, "a:1@1s | wm 15s | a:2@2s | wm 25s | a:3@3s", tenSeconds, {
          allowedLateness: 10_000,
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", [1, 2]), 9_999, "0..10000", "LATE#1/1"),
        ]);
      });
      expect(counter(result, "droppedDueToLateness")).toBe(1);
    });

    it("fires a late first pane for a key whose window only ever received late data", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | wm 12s | b:5@3s | wm 30s", tenSeconds, { allowedLateness: 10_000 });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 9_999, "0..10000", "ON_TIME#0/0 first"),
          // The output watermark (12 s) is past the window: b's first pane is LATE (PaneInfoTracker).
          pane(kv("b", 5), 9_999, "0..10000", "LATE#0/0 first"),
        ]);
      });
    });

    it("drops elements for a closed window under droppedDueToClosedWindow, and after expiry under droppedDueToLateness", async () => {
      const result = await runFor(
        runner,
        (p) => {
          // afterWatermark() without late firings finishes with the on-time pane; with
          // lateness 10 s the window stays (closed) until 20 s.
          const out = groupScript(p, "a:1@1s | wm 12s | a:2@2s | wm 30s | a:3@3s", tenSeconds, {
            trigger: Triggers.afterWatermark(),
            accumulationMode: "DISCARDING",
            allowedLateness: 10_000,
          });
          assertThat(out).containsInAnyOrder([pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first last")]);
        },
        { allowUnsafeTriggers: true },
      );
      expect(counter(result, "droppedDueToClosedWindow")).toBe(1);
      expect(counter(result, "droppedDueToLateness")).toBe(1);
    });

    it("rejects afterWatermark() without late firings as unsafe when lateness is positive", async () => {
      await expect(
        runFor(runner, (p) => {
          groupScript(p, "a:1@1s", tenSeconds, { trigger: Triggers.afterWatermark(), accumulationMode: "DISCARDING", allowedLateness: 1_000 });
        }),
      ).rejects.toThrow(/unsafe trigger/i);
    });

    it("drops a late element whose own session has expired even if it would bridge two sessions", async () => {
      const result = await runFor(runner, (p) => {
        // The expiry check uses the element's own proto-session [5500,10500) before merging.
        const out = sumScript(p, "a:1@1s | a:2@10s | wm 20s | a:3@5500", sessions(5_000));
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 5_999, "1000..6000", "ON_TIME#0/0 first last"),
          pane(kv("a", 2), 14_999, "10000..15000", "ON_TIME#0/0 first last"),
        ]);
      });
      expect(counter(result, "droppedDueToLateness")).toBe(1);
    });
  });
}
