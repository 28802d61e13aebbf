import { describe } from "vitest";
import {
  assertThat,
  combinePerKey,
  describeWindow,
  fixedWindows,
  groupByKey,
  groupByKeyWithLateData,
  kv,
  map,
  reifyPanes,
  slidingWindows,
  sum,
  testStream,
  windowInto,
  type KV,
  type BoundedWindow,
  type Pipeline,
  type WindowFn,
} from "../../../src/index.js";
import { EVENT_TIME_RUNNERS, runOn, isStarted } from "../runners.js";
import { pinnedIt } from "../portable-pins.js";
import { pane, sortedValues } from "./helpers.js";

const tenSeconds = fixedWindows(10_000);

/** Late elements as plain data: value, timestamp and window. */
const describeLate = map((e: KV<string, number>, ctx) => ({ value: e, timestamp: ctx.timestamp, window: describeWindow(ctx.window) }));

function withLateData(p: Pipeline, script: string, windowFn: WindowFn<BoundedWindow>, allowedLateness = 0) {
  const { grouped, late } = p
    .apply(testStream<KV<string, number>>(script, { kv: true }))
    .apply(windowInto(windowFn, { allowedLateness }))
    .apply(groupByKeyWithLateData<string, number>());
  return { grouped: grouped.apply(map(sortedValues)).apply(reifyPanes()), late: late.apply("DescribeLate", describeLate) };
}

/** First GroupByKey (sum per key), re-keyed to one key, then a second GroupByKey. */
function twoGroupings(p: Pipeline, script: string, allowedLateness = 0) {
  return p
    .apply(testStream<KV<string, number>>(script, { kv: true }))
    .apply(windowInto(tenSeconds, { allowedLateness }))
    .apply("SumPerKey", combinePerKey(sum()))
    .apply("ReKey", map((e: KV<string, number>) => kv("all", e.value)))
    .apply("GroupAll", groupByKey<string, number>())
    .apply(map(sortedValues))
    .apply(reifyPanes());
}

for (const runner of EVENT_TIME_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`event time: late data routing and downstream watermarks on ${runner.name}`, () => {
    const it = pinnedIt(runner);
    it("routes an element past its window's lateness to the late output with its timestamp and window", async () => {
      await runOn(runner, (p) => {
        const { grouped, late } = withLateData(p, "a:1@1s | wm 10s | a:2@2s | b:3@12s", tenSeconds);
        assertThat(grouped).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("b", [3]), 19_999, "10000..20000", "ON_TIME#0/0 first last"),
        ]);
        assertThat(late).containsInAnyOrder([{ value: kv("a", 2), timestamp: 2_000, window: "0..10000" }]);
      });
    });

    it("routes a sliding-window element once per expired window and groups it in the others", async () => {
      await runOn(runner, (p) => {
        const { grouped, late } = withLateData(p, "wm 25s | a:1@5s", slidingWindows(30_000, 10_000));
        assertThat(grouped).containsInAnyOrder([pane(kv("a", [1]), 29_999, "0..30000", "ON_TIME#0/0 first last")]);
        assertThat(late).containsInAnyOrder([
          { value: kv("a", 1), timestamp: 5_000, window: "-20000..10000" },
          { value: kv("a", 1), timestamp: 5_000, window: "-10000..20000" },
        ]);
      });
    });

    it("does not route an element that is late but within the allowed lateness", async () => {
      await runOn(runner, (p) => {
        const { grouped, late } = withLateData(p, "a:1@1s | wm 15s | a:2@2s", tenSeconds, 10_000);
        assertThat(grouped).containsInAnyOrder([
          pane(kv("a", [1]), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("a", [2]), 9_999, "0..10000", "LATE#1/1"),
        ]);
        assertThat(late).isEmpty();
      });
    });

    it("lets a second GroupByKey see the first one's on-time panes on time", async () => {
      await runOn(runner, (p) => {
        // The first GroupByKey's output watermark is held until its on-time panes are out, so
        // they reach the second before its watermark passes the window (lateness 0: none dropped).
        const out = twoGroupings(p, "a:1@1s b:2@2s | a:3@3s | wm 10s | c:4@14s | wm 30s");
        assertThat(out).containsInAnyOrder([
          pane(kv("all", [2, 4]), 9_999, "0..10000", "ON_TIME#0/0 first last"),
          pane(kv("all", [4]), 19_999, "10000..20000", "ON_TIME#0/0 first last"),
        ]);
      });
    });

    it("lets a second GroupByKey see the first one's late panes as late data within the lateness", async () => {
      await runOn(runner, (p) => {
        // The late pane is stamped 9999 and arrives once the output watermark is at 12 s: late
        // for the second GroupByKey too, within its (inherited) 10 s lateness.
        const out = twoGroupings(p, "a:1@1s | wm 12s | a:2@2s | wm 40s", 10_000);
        assertThat(out).containsInAnyOrder([
          pane(kv("all", [1]), 9_999, "0..10000", "ON_TIME#0/0 first"),
          pane(kv("all", [2]), 9_999, "0..10000", "LATE#1/1"),
        ]);
      });
    });
  });
}
