import { describe, expect } from "vitest";
import {
  Pipeline,
  Triggers,
  assertThat,
  fixedWindows,
  globalWindows,
  groupByKey,
  kv,
  map,
  reifyPanes,
  testStream,
  windowInto,
  type KV,
} from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { GLOBAL_MAX, counter, groupScript, pane, runFor, sortedValues, sumScript } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: count and processing-time triggers on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("re-emits the accumulated contents as the final ON_TIME pane of a global window, even with no new elements", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s", globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterCount(2)),
          accumulationMode: "ACCUMULATING",
        });
        // The GC pane is ON_TIME (only early panes before), which OnTimeBehavior FIRE_ALWAYS
        // emits even though nothing arrived since the last firing.
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), GLOBAL_MAX, "global", "EARLY#0/-1 first"),
          pane(kv("a", [1, 2, 3, 4]), GLOBAL_MAX, "global", "EARLY#1/-1"),
          pane(kv("a", [1, 2, 3, 4]), GLOBAL_MAX, "global", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("fires repeatedly(afterPane(3)) in a fixed window and leaves the rest to the on-time pane", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterPane(3)),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2, 3]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [4]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("counts elementCountAtLeast per pane, restarting after each early firing", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s | a:5@5s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.elementCountAtLeast(2) }),
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 3), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", 10), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", 15), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("evaluates a count trigger once per bundle, so a TestStream line of two elements fires one pane", async () => {
      await runOn(runner, (p) => {
        // ReduceFnRunner.processElements buffers the whole bundle, then asks the trigger.
        const out = groupScript(p, "a:1@1s a:2@2s | a:3@3s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterCount(1)),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("rejects a top-level afterCount trigger as unsafe unless allowUnsafeTriggers is set", () => {
      const p = new Pipeline({ ...runner.options });
      const windowed = p
        .apply(testStream<KV<string, number>>("a:1@1s", { kv: true }))
        .apply(windowInto(tenSeconds, { trigger: Triggers.afterCount(2), accumulationMode: "DISCARDING" }));
      // Beam's GroupByKey.applicableTo: "Unsafe trigger ... may lose data".
      expect(() => windowed.apply(groupByKey<string, number>())).toThrow(/unsafe trigger/i);
    });

    it("fires a top-level afterCount once, as the last pane, and drops later elements as closed-window data", async () => {
      const result = await runFor(
        runner,
        (p) => {
          const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | wm 20s", tenSeconds, {
            trigger: Triggers.afterCount(2),
            accumulationMode: "DISCARDING",
          });
          // The finished trigger closes the window: ReduceFnRunner drops a:3 and counts it
          // in droppedDueToClosedWindow; GC finds the trigger closed and emits nothing.
          assertThat(out).containsInAnyOrder([pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first last")]);
        },
        { allowUnsafeTriggers: true },
      );
      expect(counter(result, "droppedDueToClosedWindow")).toBe(1);
      expect(counter(result, "droppedDueToLateness")).toBe(0);
    });

    it("fires repeatedly(afterProcessingTime) a delay after each pane's first element", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | pt +2s | a:2@2s | pt +4s | a:3@3s | pt +10s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(5_000)),
          accumulationMode: "DISCARDING",
        });
        // a:1 at pt 0 → fires at pt 6; a:3 at pt 6 → fires at pt 16; the GC firing is an
        // empty ON_TIME pane (OnTimeBehavior FIRE_ALWAYS).
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("aligns a processing-time trigger to the next multiple of its period", async () => {
      await runOn(runner, (p) => {
        // a:1 arrives at pt 3 s: AlignFn rounds up to 10 s, so pt 8 s does not fire, pt 11 s does.
        const out = groupScript(p, "pt +3s | a:1@1s | pt +5s | a:2@2s | pt +3s | a:3@3s | pt +5s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(undefined, { alignTo: 10_000 })),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("aligns a processing-time trigger to its period counted from the offset", async () => {
      await runOn(runner, (p) => {
        // Arrival at pt 5 s, period 10 s from offset 4 s: the target is 14 s.
        const out = groupScript(p, "pt +5s | a:1@1s | pt +8s | a:2@2s | pt +2s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(undefined, { alignTo: { period: 10_000, offset: 4_000 } })),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("applies a delay before the alignment of a processing-time trigger", async () => {
      await runOn(runner, (p) => {
        // Arrival at pt 9 s, plus 2 s = 11 s, aligned up to 20 s: pt 12 s does not fire, 21 s does.
        const out = groupScript(p, "pt +9s | a:1@1s | pt +3s | a:2@2s | pt +9s | a:3@3s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(2_000, { alignTo: 10_000 })),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });

    it("fires processing-time panes in the global window and closes it at the end of the stream", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | pt +6s | a:2@50s | pt +6s", globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(5_000)),
          accumulationMode: "ACCUMULATING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), GLOBAL_MAX, "global", "EARLY#0/-1 first"),
          pane(kv("a", [1, 2]), GLOBAL_MAX, "global", "EARLY#1/-1"),
          pane(kv("a", [1, 2]), GLOBAL_MAX, "global", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("fires the continuation of a processing-time trigger on synchronized processing time after a second GroupByKey", async () => {
      await runOn(runner, (p) => {
        const firstSums = p
          .apply(testStream<KV<string, number>>("a:1@1s | pt +6s | pt +6s | wm 20s", { kv: true }))
          .apply(
            windowInto(tenSeconds, {
              trigger: Triggers.repeatedly(Triggers.afterProcessingTime(5_000)),
              accumulationMode: "DISCARDING",
            }),
          )
          .apply("FirstGroup", groupByKey<string, number>())
          .apply("SumPane", map((e: KV<string, Iterable<number>>) => kv("all", [...e.value].reduce((s, v) => s + v, 0))));
        // The second GroupByKey inherits Repeatedly(AfterSynchronizedProcessingTime) (Beam's
        // continuation trigger): it fires the first pane's sum once synchronized processing
        // time passes its arrival (pt 12 s), and the first GBK's empty on-time pane (sum 0)
        // at the end of the window.
        const out = firstSums
          .apply("SecondGroup", groupByKey<string, number>())
          .apply(map(sortedValues))
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([
          pane(kv("all", [1]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("all", [0]), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });
    it("keeps processing-time trigger targets per key", async () => {
      await runOn(runner, (p) => {
        // a's pane starts at pt 0 (fires after 5 s), b's at pt 3 s (fires after 8 s).
        const out = groupScript(p, "a:1@1s | pt +3s | b:2@2s | pt +3s | a:3@3s b:4@4s | pt +3s | wm 20s", tenSeconds, {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(5_000)),
          accumulationMode: "DISCARDING",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("b", [2, 4]), 9_999, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [3]), 9_999, "0..10000", "ON_TIME#1/0 last"),
          pane(kv("b", []), 9_999, "0..10000", "ON_TIME#1/0 last"),
        ]);
      });
    });
  });
}
