import { describe, expect, it } from "vitest";
import {
  Pipeline,
  Triggers,
  assertThat,
  combinePerKey,
  fixedWindows,
  groupByKey,
  kv,
  map,
  reifyPanes,
  sessions,
  sum,
  testStream,
  windowInto,
  type KV,
} from "../../../src/index.js";

const sortedValues = (e: KV<string, Iterable<number>>) => kv(e.key, [...e.value].sort((a, b) => a - b));

describe("event time smoke", () => {
  it("fires one on-time pane per window when the watermark passes its end", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>(`
        a:1@1s a:2@2s b:5@3s
        wm 5s
        a:3@11s
        wm 20s
      `, { kv: true }))
      .apply(windowInto(fixedWindows(10_000)))
      .apply(groupByKey<string, number>())
      .apply(map(sortedValues))
      .apply(reifyPanes());
    assertThat(out).containsInAnyOrder([
      { value: kv("a", [1, 2]), timestamp: 9_999, window: "0..10000", pane: "ON_TIME#0/0 first last" },
      { value: kv("b", [5]), timestamp: 9_999, window: "0..10000", pane: "ON_TIME#0/0 first last" },
      { value: kv("a", [3]), timestamp: 19_999, window: "10000..20000", pane: "ON_TIME#0/0 first last" },
    ]);
    await p.run().waitUntilFinish();
  });

  it("drops late data past the allowed lateness and counts it", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>(`
        a:1@1s
        wm 30s
        a:100@2s
      `, { kv: true }))
      .apply(windowInto(fixedWindows(10_000)))
      .apply(combinePerKey(sum()))
      .apply(reifyPanes());
    assertThat(out).containsInAnyOrder([{ value: kv("a", 1), timestamp: 9_999, window: "0..10000", pane: "ON_TIME#0/0 first last" }]);
    const result = p.run();
    await result.waitUntilFinish();
    const dropped = result.metrics().queryMetrics({ name: "droppedDueToLateness" }).counters;
    expect(dropped.map((c) => c.committed)).toEqual([1]);
  });

  it("fires late panes for data within the allowed lateness", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>(`
        a:1@1s
        wm 15s
        a:2@2s
        a:3@3s
        wm 40s
      `, { kv: true }))
      .apply(windowInto(fixedWindows(10_000), { allowedLateness: 10_000 }))
      .apply(combinePerKey(sum()))
      .apply(reifyPanes());
    assertThat(out).containsInAnyOrder([
      { value: kv("a", 1), timestamp: 9_999, window: "0..10000", pane: "ON_TIME#0/0 first" },
      { value: kv("a", 2), timestamp: 9_999, window: "0..10000", pane: "LATE#1/1" },
      { value: kv("a", 3), timestamp: 9_999, window: "0..10000", pane: "LATE#2/2" },
    ]);
    await p.run().waitUntilFinish();
  });

  it("fires early panes by count and the on-time pane, accumulating", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>(`
        a:1@1s
        a:2@2s
        a:3@3s
        wm 20s
      `, { kv: true }))
      .apply(
        windowInto(fixedWindows(10_000), {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }),
          accumulationMode: "ACCUMULATING",
        }),
      )
      .apply(combinePerKey(sum()))
      .apply(reifyPanes());
    assertThat(out).containsInAnyOrder([
      { value: kv("a", 1), timestamp: 9_999, window: "0..10000", pane: "EARLY#0/-1 first" },
      { value: kv("a", 3), timestamp: 9_999, window: "0..10000", pane: "EARLY#1/-1" },
      { value: kv("a", 6), timestamp: 9_999, window: "0..10000", pane: "EARLY#2/-1" },
      { value: kv("a", 6), timestamp: 9_999, window: "0..10000", pane: "ON_TIME#3/0 last" },
    ]);
    await p.run().waitUntilFinish();
  });

  it("merges sessions, also when a late element bridges two of them", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>(`
        a:1@1s
        a:2@10s
        wm 20s
        a:3@5500
        wm 60s
      `, { kv: true }))
      .apply(windowInto(sessions(5_000), { allowedLateness: 30_000, accumulationMode: "ACCUMULATING" }))
      .apply(combinePerKey(sum()))
      .apply(reifyPanes());
    assertThat(out).containsInAnyOrder([
      { value: kv("a", 1), timestamp: 5_999, window: "1000..6000", pane: "ON_TIME#0/0 first" },
      { value: kv("a", 2), timestamp: 14_999, window: "10000..15000", pane: "ON_TIME#0/0 first" },
      { value: kv("a", 6), timestamp: 14_999, window: "1000..15000", pane: "LATE#0/0 first" },
    ]);
    await p.run().waitUntilFinish();
  });

  it("keeps merging a key's session across bundles after the merged session fired early", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>("a:1@6200 | pt +500 | a:1@6250 | pt +600 | a:1@6300 | wm 7000 | pt +2s | a:1@6350", { kv: true }))
      .apply(
        windowInto(sessions(2000), {
          trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(1000), late: Triggers.afterCount(1) }),
          accumulationMode: "ACCUMULATING",
          allowedLateness: 10_000,
        }),
      )
      .apply(combinePerKey(sum()))
      .apply(reifyPanes());
    // Each merge makes a new window, whose panes start again at index 0 (Beam's
    // PaneInfoTracker is cleared for merged-away windows).
    assertThat(out).containsInAnyOrder([
      { value: kv("a", 2), timestamp: 8_249, window: "6200..8250", pane: "EARLY#0/-1 first" },
      { value: kv("a", 3), timestamp: 8_299, window: "6200..8300", pane: "EARLY#0/-1 first" },
      { value: kv("a", 4), timestamp: 8_349, window: "6200..8350", pane: "ON_TIME#0/0 first last" },
    ]);
    await p.run().waitUntilFinish();
  });
});
