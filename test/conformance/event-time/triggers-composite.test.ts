import { describe, expect } from "vitest";
import { Pipeline, Triggers, assertThat, fixedWindows, globalWindows, groupByKey, kv, testStream, windowInto, type KV } from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { GLOBAL_MAX, counter, groupScript, pane, runFor } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);
const unsafe = { allowUnsafeTriggers: true };

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: composite triggers on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("runs afterEach triggers in sequence, each seeing only the elements after its predecessor finished", async () => {
      await runOn(runner, (p) => {
        // AfterEach feeds elements only to the first unfinished subtrigger; the repeated
        // second one never finishes, so the trigger is safe.
        const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s | wm 20s", tenSeconds, {
          trigger: Triggers.afterEach(Triggers.afterCount(2), Triggers.repeatedly(Triggers.afterCount(1))),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", [4]), 9_999, "0..10000", "EARLY#2/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#3/0 last"),
        ]);
      });
    });

    it("finishes afterEach of once-triggers after the last one fires, closing the window", async () => {
      const result = await runFor(
        runner,
        (p) => {
          const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s | wm 20s", tenSeconds, {
            trigger: Triggers.afterEach(Triggers.afterCount(2), Triggers.afterCount(1)),
            accumulationMode: "DISCARDING",
          });
          assertThat(out).containsInAnyOrder([
            pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
            pane(kv("a", [3]), 9_999, "0..10000", "EARLY#1/-1 last"),
          ]);
        },
        unsafe,
      );
      expect(counter(result, "droppedDueToClosedWindow")).toBe(1);
    });

    it("fires repeatedly(afterFirst(count, processing time)) on whichever comes first", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | pt +6s | a:2@2s | a:3@3s | a:4@4s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterFirst(Triggers.afterCount(3), Triggers.afterProcessingTime(5_000))),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [2, 3, 4]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("treats afterAny as afterFirst", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | pt +6s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterAny(Triggers.afterCount(2), Triggers.afterProcessingTime(60_000))),
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [1, 2]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("fires repeatedly(afterAll(count, processing time)) only once both have been satisfied", async () => {
      await runOn(runner, (p) => {
        // a:1, a:2 at pt 0 satisfy the count; pt 6 s satisfies the delay → [1, 2]. a:3 at pt 6
        // starts a new pane (target 11 s); pt 12 s alone is not enough, a:4 completes it.
        const out = groupScript(p, "a:1@1s | a:2@2s | pt +6s | a:3@3s | pt +6s | a:4@4s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterAll(Triggers.afterCount(2), Triggers.afterProcessingTime(5_000))),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3, 4]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("fires orFinally's main trigger until the until-trigger fires one last pane", async () => {
      const result = await runFor(
        runner,
        (p) => {
          // `until` counts every element since the window opened: it fires with a:3.
          const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s | wm 20s", tenSeconds, {
            trigger: Triggers.orFinally(Triggers.repeatedly(Triggers.afterCount(1)), Triggers.afterCount(3)),
            accumulationMode: "DISCARDING",
          });
          assertThat(out).containsInAnyOrder([
            pane(kv("a", [1]), 9_999, "0..10000", "EARLY#0/-1 first"),
            pane(kv("a", [2]), 9_999, "0..10000", "EARLY#1/-1"),
            pane(kv("a", [3]), 9_999, "0..10000", "EARLY#2/-1 last"),
          ]);
        },
        unsafe,
      );
      expect(counter(result, "droppedDueToClosedWindow")).toBe(1);
    });

    it("finishes repeatedly(count).orFinally(afterWatermark) with the on-time pane", async () => {
      await runOn(
        runner,
        (p) => {
          const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | wm 20s", tenSeconds, {
            trigger: Triggers.orFinally(Triggers.repeatedly(Triggers.afterCount(2)), Triggers.afterWatermark()),
            accumulationMode: "ACCUMULATING",
          });
          assertThat(out).containsInAnyOrder([
            pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
            pane(kv("a", [1, 2, 3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
          ]);
        },
        unsafe,
      );
    });

    it("rejects orFinally as an unsafe trigger without allowUnsafeTriggers", () => {
      const p = new Pipeline({ ...runner.options });
      const windowed = p.apply(testStream<KV<string, number>>("a:1@1s", { kv: true })).apply(
        windowInto(tenSeconds, {
          trigger: Triggers.orFinally(Triggers.repeatedly(Triggers.afterCount(2)), Triggers.afterWatermark()),
          accumulationMode: "DISCARDING",
        }),
      );
      expect(() => windowed.apply(groupByKey<string, number>())).toThrow(/unsafe trigger/i);
    });

    it("fires never() only at garbage collection, with everything, as the ON_TIME final pane", async () => {
      await runOn(runner, (p) => {
        // a:1 and a:2 hold the output watermark at the window's max timestamp, so the GC
        // firing is not late for output: it is the window's ON_TIME pane, and it is last.
        const out = groupScript(p, "a:1@1s a:2@2s | wm 12s | a:3@3s | wm 30s", tenSeconds, {
          trigger: Triggers.never(),
          accumulationMode: "DISCARDING",
          allowedLateness: 5_000,
        });
        assertThat(out).containsInAnyOrder([pane(kv("a", [1, 2, 3]), 9_999, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("fires never() in the global window only at the end of the stream", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | pt +1h | a:2@2s | wm 1h", globalWindows(), {
          trigger: Triggers.never(),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([pane(kv("a", [1, 2]), GLOBAL_MAX, "global", "ON_TIME#0/0 first last")]);
      });
    });
  });
}
