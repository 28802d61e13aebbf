import { describe } from "vitest";
import { Triggers, assertThat, fixedWindows, kv, sessions, slidingWindows, type IntervalWindow, type WindowFn } from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { groupScript, pane, sumScript } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);

/**
 * Sliding windows of 20 s every 10 s whose later window does not hold back the earlier one:
 * an element's output time in a window is at least the start of the window's last period
 * (Beam Java's SlidingWindows.getOutputTime before BEAM-12011).
 */
const shiftedSliding: WindowFn<IntervalWindow> = {
  ...slidingWindows(20_000, 10_000),
  urn: "beam-ts:test:shifted_sliding:v1",
  getTransformedOutputTime: (w, t) => Math.max(t, w.maxTimestamp() - 10_000 + 1),
  toString: () => "ShiftedSliding",
};

/** Ten-second windows whose output times are at least 6 s into the window. */
const shiftedFixed: WindowFn<IntervalWindow> = {
  ...fixedWindows(10_000),
  urn: "beam-ts:test:shifted_fixed:v1",
  getTransformedOutputTime: (w, t) => Math.max(t, w.start + 6_000),
  toString: () => "ShiftedFixed",
};

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: timestamp combiners on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("stamps a pane with its earliest element's timestamp under EARLIEST", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@3s a:2@1s | a:3@7s | wm 20s", tenSeconds, { timestampCombiner: "EARLIEST" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 6), 1_000, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("holds element by element under EARLIEST: elements behind the watermark in the same bundle do not discard the others' hold", async () => {
      // Beam's WatermarkHold.addHolds judges each element: 2s and 3s are behind the output
      // watermark (5s) and hold nothing, 7s and 8s hold at 7s, whatever the bundles.
      await runOn(runner, (p) => {
        const oneBundle = sumScript(p, "wm 5s | a:1@2s a:2@3s a:3@7s a:4@8s | wm 20s", tenSeconds, { timestampCombiner: "EARLIEST" });
        assertThat(oneBundle, "OneBundle").containsInAnyOrder([pane(kv("a", 10), 7_000, "0..10000", "ON_TIME#0/0 first last")]);
      });
      await runOn(runner, (p) => {
        const twoBundles = sumScript(p, "wm 5s | a:1@2s a:2@3s | a:3@7s a:4@8s | wm 20s", tenSeconds, { timestampCombiner: "EARLIEST" });
        assertThat(twoBundles, "TwoBundles").containsInAnyOrder([pane(kv("a", 10), 7_000, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("stamps a pane with its earliest element's timestamp under EARLIEST_TRANSFORMED when the WindowFn transforms nothing", async () => {
      // Without getTransformedOutputTime an output time is the element's timestamp (Python's
      // WindowFn default); portable runners get EARLIEST_IN_PANE.
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@3s a:2@1s | a:3@7s | wm 20s", tenSeconds, { timestampCombiner: "EARLIEST_TRANSFORMED" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 6), 1_000, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("stamps each window's pane with the earliest of the WindowFn's transformed output times under EARLIEST_TRANSFORMED", async () => {
      await runOn(runner, (p) => {
        // 15 s is in [0,20) (output time 15 s) and [10,30) (shifted to 20 s, past [0,20)).
        const out = sumScript(p, "a:1@15s a:2@17s | wm 40s", shiftedSliding, { timestampCombiner: "EARLIEST_TRANSFORMED" });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 3), 15_000, "0..20000", "ON_TIME#0/0 first last"),
          pane(kv("a", 3), 20_000, "10000..30000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("judges an element's hold by its transformed output time under EARLIEST_TRANSFORMED", async () => {
      await runOn(runner, (p) => {
        // With the output watermark at 5 s, 2 s would hold nothing under EARLIEST (the pane
        // would be stamped 8 s); shifted to 6 s it holds there, as Java's WatermarkHold
        // judged the shifted time.
        const out = sumScript(p, "wm 5s | a:1@2s a:2@8s | wm 20s", shiftedFixed, { timestampCombiner: "EARLIEST_TRANSFORMED" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 3), 6_000, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("stamps a pane with its latest element's timestamp under LATEST", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@3s a:2@1s | a:3@7s | wm 20s", tenSeconds, { timestampCombiner: "LATEST" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 6), 7_000, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("stamps a pane with the window's max timestamp under END_OF_WINDOW", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@3s a:2@1s | a:3@7s | wm 20s", tenSeconds, { timestampCombiner: "END_OF_WINDOW" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 6), 9_999, "0..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("stamps each sliding window's pane with the element's own timestamp under EARLIEST", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@15s", slidingWindows(20_000, 10_000), { timestampCombiner: "EARLIEST" });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 15_000, "0..20000", "ON_TIME#0/0 first last"),
          pane(kv("a", 1), 15_000, "10000..30000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("computes EARLIEST over the elements since the last firing, and gives an empty pane the max timestamp", async () => {
      await runOn(runner, (p) => {
        // WatermarkHold.extractAndRelease clears the hold at each firing; accumulated
        // elements do not hold again. The on-time pane has no hold: maxTs.
        const out = sumScript(p, "a:1@1s | a:2@4s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }),
          accumulationMode: "ACCUMULATING",
          timestampCombiner: "EARLIEST",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 1_000, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", 3), 4_000, "0..10000", "EARLY#1/-1"),
          pane(kv("a", 3), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("stamps discarding early panes by their own elements under EARLIEST", async () => {
      await runOn(runner, (p) => {
        const out = groupScript(p, "a:1@3s | a:2@1s a:3@2s | wm 20s", tenSeconds, {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }),
          accumulationMode: "DISCARDING",
          timestampCombiner: "EARLIEST",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", [1]), 3_000, "0..10000", "EARLY#0/-1 first"),
          pane(kv("a", [2, 3]), 1_000, "0..10000", "EARLY#1/-1"),
          pane(kv("a", []), 9_999, "0..10000", "ON_TIME#2/0 last"),
        ]);
      });
    });

    it("gives a late-only pane the window's max timestamp under EARLIEST", async () => {
      await runOn(runner, (p) => {
        // A late element's hold would be behind the output watermark, so WatermarkHold adds
        // only a GC hold (maxTs + lateness), and extractAndRelease clamps it to maxTs.
        const out = sumScript(p, "a:1@1s | wm 12s | a:2@2s | wm 30s", tenSeconds, {
          allowedLateness: 10_000,
          timestampCombiner: "EARLIEST",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 1_000, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", 2), 9_999, "0..10000", "LATE#1/1"),
        ]);
      });
    });

    it("gives a late-only pane the window's max timestamp under LATEST", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:1@1s a:3@3s | wm 12s | a:2@8s | wm 30s", tenSeconds, {
          allowedLateness: 10_000,
          timestampCombiner: "LATEST",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 4), 3_000, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", 2), 9_999, "0..10000", "LATE#1/1"),
        ]);
      });
    });

    it("combines EARLIEST holds across a session merge", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:5@5s | a:2@2s | wm 30s", sessions(5_000), { timestampCombiner: "EARLIEST" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 7), 2_000, "2000..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("combines LATEST holds across a session merge", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:5@5s | a:2@2s | wm 30s", sessions(5_000), { timestampCombiner: "LATEST" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 7), 5_000, "2000..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("moves END_OF_WINDOW holds to the merged session's end", async () => {
      await runOn(runner, (p) => {
        const out = sumScript(p, "a:5@5s | a:2@2s | wm 30s", sessions(5_000), { timestampCombiner: "END_OF_WINDOW" });
        assertThat(out).containsInAnyOrder([pane(kv("a", 7), 9_999, "2000..10000", "ON_TIME#0/0 first last")]);
      });
    });

    it("gives a late pane of a merged session its max timestamp even under EARLIEST", async () => {
      await runOn(runner, (p) => {
        // a:3 is behind the output watermark: no element hold, only the merged window's GC
        // hold, clamped to the merged window's maxTs.
        const out = sumScript(p, "a:1@1s | a:2@10s | wm 20s | a:3@5500 | wm 60s", sessions(5_000), {
          allowedLateness: 30_000,
          timestampCombiner: "EARLIEST",
        });
        assertThat(out).containsInAnyOrder([
          pane(kv("a", 1), 1_000, "1000..6000", "ON_TIME#0/0 first"),
          pane(kv("a", 2), 10_000, "10000..15000", "ON_TIME#0/0 first"),
          pane(kv("a", 3), 14_999, "1000..15000", "LATE#0/0 first"),
        ]);
      });
    });
  });
}
