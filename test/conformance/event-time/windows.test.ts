import { describe } from "vitest";
import {
  IntervalWindow,
  Triggers,
  assertThat,
  fixedWindows,
  globalWindows,
  kv,
  sessions,
  slidingWindows,
  type WindowFn,
  type WindowMerge,
} from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { GLOBAL_MAX, groupScript, pane, sumScript } from "./helpers.js";

/** A user-defined non-merging WindowFn: every element is in its 10 s window and its 20 s window. */
const tensAndTwenties: WindowFn<IntervalWindow> = {
  urn: "beam-ts:test:tens_and_twenties:v1",
  isMerging: false,
  assignWindows: ({ timestamp }) => {
    const ten = timestamp - (timestamp % 10_000);
    const twenty = timestamp - (timestamp % 20_000);
    return [new IntervalWindow(ten, ten + 10_000), new IntervalWindow(twenty, twenty + 20_000)];
  },
  toString: () => "TensAndTwenties",
};

/**
 * A user-defined merging WindowFn: each element gets [t, t + 1 s); the windows of a key that
 * start in the same 10 s bucket merge into their span (whether or not they overlap).
 */
const bucketMerging: WindowFn<IntervalWindow> = {
  urn: "beam-ts:test:bucket_merging:v1",
  isMerging: true,
  assignWindows: ({ timestamp }) => [new IntervalWindow(timestamp, timestamp + 1_000)],
  mergeWindows: (windows) => {
    const buckets = new Map<number, IntervalWindow[]>();
    for (const w of windows) {
      const b = Math.floor(w.start / 10_000);
      buckets.set(b, [...(buckets.get(b) ?? []), w]);
    }
    const merges: WindowMerge<IntervalWindow>[] = [];
    for (const group of buckets.values()) {
      if (group.length < 2) continue;
      const start = Math.min(...group.map((w) => w.start));
      const end = Math.max(...group.map((w) => w.end));
      merges.push({ from: group, result: new IntervalWindow(start, end) });
    }
    return merges;
  },
  toString: () => "BucketMerging",
};

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: window functions on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("puts an element at a fixed window's last millisecond in that window and one at its end in the next", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@9999ms a:2@10s", fixedWindows(10_000));
        // IntervalWindow is [start, end): 10 000 belongs to the next window.
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("a", [2]), 19_999, "10000..20000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("shifts fixed windows by their offset", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@3s a:2@6s", fixedWindows(10_000, 5_000));
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 4_999, "-5000..5000", "ON_TIME#0/0 first last"),
          pane(kv("a", [2]), 14_999, "5000..15000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("groups each key separately within one fixed window", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s b:2@2s | a:3@3s | wm 5s | b:4@4s", fixedWindows(10_000));
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 3]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("b", [2, 4]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("puts an element in every sliding window that contains it, each firing on time", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@15s", slidingWindows(30_000, 10_000));
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 19_999, "-10000..20000", "ON_TIME#0/0 first last"),
          pane(kv("a", 1), 29_999, "0..30000", "ON_TIME#0/0 first last"),
          pane(kv("a", 1), 39_999, "10000..40000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("groups overlapping sliding windows independently", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@5s | a:2@12s", slidingWindows(20_000, 10_000));
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "-10000..10000", "ON_TIME#0/0 first last"),
          pane(kv("a", [1, 2]), 19_999, "0..20000", "ON_TIME#0/0 first last"),
          pane(kv("a", [2]), 29_999, "10000..30000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("merges session windows per key and keeps sessions that only touch apart", async () => {
      await runOn(runner, (p) => {
        // [1000,8000) and [8000,13000) only touch: Beam's IntervalWindow.isDisjoint is
        // !end.isAfter(other.start), so they do not merge.
        const out = groupScript(p, "a:1@1s a:2@3s b:3@2s | a:4@8s | a:5@13s", sessions(5_000));
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 7_999, "1000..8000", "ON_TIME#0/0 first last"),
          pane(kv("a", [4]), 12_999, "8000..13000", "ON_TIME#0/0 first last"),
          pane(kv("b", [3]), 6_999, "2000..7000", "ON_TIME#0/0 first last"),
          pane(kv("a", [5]), 17_999, "13000..18000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("fires a global window repeatedly by count and closes it at the end of the stream", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@2s | a:3@3s | a:4@4s | a:5@5s", globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterCount(2)),
          accumulationMode: "DISCARDING",
        });
        // The final pane comes from garbage collection at +inf: nothing but early panes came
        // before, so it is the ON_TIME pane (PaneInfoTracker), and it is last.
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), GLOBAL_MAX, "global", "EARLY#0/-1 first"),
          pane(kv("a", [3, 4]), GLOBAL_MAX, "global", "EARLY#1/-1"),
          pane(kv("a", [5]), GLOBAL_MAX, "global", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("groups by a user-defined non-merging WindowFn that assigns several windows", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@15s", tensAndTwenties);
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("a", [2]), 19_999, "10000..20000", "ON_TIME#0/0 first last"),
          pane(kv("a", [1, 2]), 19_999, "0..20000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("merges windows with a user-defined merging WindowFn, also windows that do not overlap", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@1s | a:2@5s b:7@6s | a:3@12s", bucketMerging);
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1, 2]), 5_999, "1000..6000", "ON_TIME#0/0 first last"),
          pane(kv("b", [7]), 6_999, "6000..7000", "ON_TIME#0/0 first last"),
          pane(kv("a", [3]), 12_999, "12000..13000", "ON_TIME#0/0 first last"),
        ]);
      });
    });
  });
}
