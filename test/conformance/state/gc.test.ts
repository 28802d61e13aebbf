import { describe, expect } from "vitest";
import {
  StateSpecs,
  TimerSpecs,
  assertThat,
  create,
  fixedWindows,
  kv,
  reifyPanes,
  statefulParDo,
  testStream,
  windowInto,
  type KV,
  type PCollection,
  type Pipeline,
  type BagState,
  type ReifiedElement,
  type StateSpec,
  type StatefulDoFn,
} from "../../../src/index.js";
import { GLOBAL_MAX, counter, runFor } from "../event-time/helpers.js";
import { runOn } from "../runners.js";
import { NO_FIRING, sortedJoin, STATE_RUNNERS, itOn } from "./helpers.js";

/** Keeps values per key and window in a bag; every element outputs `key=size`, and expiry outputs `key expired with [values]`. */
const collectThenExpire: StatefulDoFn<string, number, string, { values: StateSpec<BagState<number>> }> = {
  state: { values: StateSpecs.bag<number>() },
  process(e, ctx) {
    ctx.state.values.add(e.value);
    ctx.output(`${ctx.key}=${ctx.state.values.read().length}`);
  },
  onWindowExpiration(ctx) {
    ctx.output(`${ctx.key} expired with [${sortedJoin(ctx.state.values.read())}]`);
  },
};

function countThenExpire(p: Pipeline, script: string, allowedLateness: number): PCollection<ReifiedElement<string>> {
  return p
    .apply(testStream<KV<string, number>>(script, { kv: true }))
    .apply(windowInto(fixedWindows(10_000), { allowedLateness }))
    .apply(statefulParDo(collectThenExpire))
    .apply(reifyPanes());
}

for (const runner of STATE_RUNNERS) {
  describe(`state garbage collection on ${runner.name}`, () => {
    // Prism 2.77 registers a key for window expiry only under the window of its first
    // pending element (keysToExpireByWindow), so a's second window never expires there.
    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["prism", "flink"])("onWindowExpiration sees each key's state of the window and emits at the window's max timestamp", async () => {
      await runOn(runner, (p) => {
        const out = countThenExpire(p, "a:1@1s a:2@2s b:5@3s a:4@12s | wm 40s", 0);
        assertThat(out).containsInAnyOrder([
          { value: "a=1", timestamp: 1000, window: "0..10000", pane: NO_FIRING },
          { value: "a=2", timestamp: 2000, window: "0..10000", pane: NO_FIRING },
          { value: "b=1", timestamp: 3000, window: "0..10000", pane: NO_FIRING },
          { value: "a=1", timestamp: 12_000, window: "10000..20000", pane: NO_FIRING },
          { value: "a expired with [1,2]", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
          { value: "b expired with [5]", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
          { value: "a expired with [4]", timestamp: 19_999, window: "10000..20000", pane: NO_FIRING },
        ]);
      });
    });

    // Prism 2.77 gives stateful stages no windowing strategy, so it ignores the allowed
    // lateness and expires (and clears) the window's state at the window's end.
    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["prism", "flink"])("state outlives the window's end by the allowed lateness: a late element within it sees the earlier state", async () => {
      await runOn(runner, (p) => {
        // Window [0s, 10s) expires at 9.999s + 10s; at wm 15s it is past its end but not expired.
        const out = countThenExpire(p, "a:1@1s | wm 15s | a:2@3s | wm 40s", 10_000);
        assertThat(out).containsInAnyOrder([
          { value: "a=1", timestamp: 1000, window: "0..10000", pane: NO_FIRING },
          { value: "a=2", timestamp: 3000, window: "0..10000", pane: NO_FIRING },
          { value: "a expired with [1,2]", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
        ]);
      });
    });

    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["flink"])("after a window expires its state is gone: a later window of the same key starts empty", async () => {
      await runOn(runner, (p) => {
        const out = countThenExpire(p, "a:1@1s a:2@2s | wm 25s | a:3@31s | wm 60s", 5000);
        assertThat(out).containsInAnyOrder([
          { value: "a=1", timestamp: 1000, window: "0..10000", pane: NO_FIRING },
          { value: "a=2", timestamp: 2000, window: "0..10000", pane: NO_FIRING },
          { value: "a expired with [1,2]", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
          { value: "a=1", timestamp: 31_000, window: "30000..40000", pane: NO_FIRING },
          { value: "a expired with [3]", timestamp: 39_999, window: "30000..40000", pane: NO_FIRING },
        ]);
      });
    });

    // Prism 2.77 does not drop expired-window elements before a stateful transform (they
    // reach the DoFn), and expires a key only in its first window (see above).
    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["prism", "flink"])("elements of an expired window are dropped, counted as droppedDueToLateness, and never reach state", async () => {
      const result = await runFor(runner, (p) => {
        const out = countThenExpire(p, "a:1@1s | wm 15s | a:2@2s a:3@3s b:9@4s | a:5@16s | wm 40s", 0);
        assertThat(out).containsInAnyOrder([
          { value: "a=1", timestamp: 1000, window: "0..10000", pane: NO_FIRING },
          { value: "a expired with [1]", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
          { value: "a=1", timestamp: 16_000, window: "10000..20000", pane: NO_FIRING },
          { value: "a expired with [5]", timestamp: 19_999, window: "10000..20000", pane: NO_FIRING },
        ]);
      });
      expect(counter(result, "droppedDueToLateness")).toBe(3);
    });

    // Prism 2.77 keeps a window's processing-time timers after the window expired: the
    // timer still fires when "pt +120s" moves its clock.
    // Flink's TestStream cannot advance processing time: refused before submission (UnsupportedFeatureError).
    itOn(runner, ["prism"], ["flink"])("timers of an expired window are dropped with its state: a pending processing-time timer never fires", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(testStream<KV<string, number>>("a:1@1s | wm 20s | pt +120s | wm 40s", { kv: true }))
          .apply(windowInto(fixedWindows(10_000)))
          .apply(
            statefulParDo({
              state: { n: StateSpecs.value<number>() },
              timers: { later: TimerSpecs.timer("PROCESSING_TIME") },
              process(e: KV<string, number>, ctx) {
                ctx.state.n.write(e.value);
                ctx.timers.later.setRelative(60_000);
              },
              onTimer: {
                later(ctx) {
                  ctx.output(`timer fired with n=${String(ctx.state.n.read())}`);
                },
              },
              onWindowExpiration(ctx) {
                ctx.output(`expired with n=${String(ctx.state.n.read())}`);
              },
            }),
          );
        assertThat(out).containsInAnyOrder(["expired with n=1"]);
      });
    });

    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["flink"])("an event-time timer at the window's max timestamp fires before onWindowExpiration, which then sees what the timer left", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(testStream<KV<string, number>>("a:1@1s a:2@2s | wm 30s", { kv: true }))
          .apply(windowInto(fixedWindows(10_000)))
          .apply(
            statefulParDo({
              state: { log: StateSpecs.value<string>() },
              timers: { end: TimerSpecs.timer("EVENT_TIME") },
              process(_e: KV<string, number>, ctx) {
                ctx.timers.end.set(ctx.window.maxTimestamp());
              },
              onTimer: {
                end(ctx) {
                  ctx.state.log.write("timer ran");
                  ctx.output("timer");
                },
              },
              onWindowExpiration(ctx) {
                ctx.output(`expiry saw: ${String(ctx.state.log.read())}`);
              },
            }),
          );
        assertThat(out).containsInAnyOrder(["timer", "expiry saw: timer ran"]);
      });
    });

    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["flink"])("in the global window, onWindowExpiration runs once the bounded input ends, at the global window's max timestamp", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(create([kv("a", 1), kv("b", 2), kv("a", 3)]))
          .apply(
            statefulParDo({
              state: { sum: StateSpecs.value<number>() },
              process(e: KV<string, number>, ctx) {
                ctx.state.sum.write((ctx.state.sum.read() ?? 0) + e.value);
              },
              onWindowExpiration(ctx) {
                ctx.output(kv(ctx.key, ctx.state.sum.read()));
              },
            }),
          )
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([
          { value: kv("a", 4), timestamp: GLOBAL_MAX, window: "global", pane: NO_FIRING },
          { value: kv("b", 2), timestamp: GLOBAL_MAX, window: "global", pane: NO_FIRING },
        ]);
      });
    });
  });
}
