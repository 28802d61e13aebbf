import { describe, it } from "vitest";
import {
  StateSpecs,
  TimerSpecs,
  asMap,
  asSingleton,
  assertThat,
  combineGlobally,
  createTimestamped,
  filter,
  fixedWindows,
  kv,
  map,
  reifyPanes,
  statefulParDo,
  sum,
  testStream,
  windowInto,
  type CombiningState,
  type KV,
  type PCollectionView,
  type StateSpec,
  type StatefulDoFn,
  type Timer,
  type TimerSpec,
} from "../../../src/index.js";
import { runOn } from "../runners.js";
import { NO_FIRING, STATE_RUNNERS, itOn } from "./helpers.js";

const WINDOW = 10_000;

type SpendState = { spent: StateSpec<CombiningState<number, number>> };
type SpendTimers = { flush: TimerSpec<Timer> };

/**
 * Spends `value × rate` per key and window against the key's limit. `rate` (a singleton)
 * and `limits` (a map) are side inputs of the element's window. An element over the limit
 * goes to the "deadLetter" output from `process`; the window's total goes to the main
 * output when the window ends, or to "deadLetter" from the timer when the key has no limit.
 */
function spendAgainstLimits(
  rate: PCollectionView<number>,
  limits: PCollectionView<ReadonlyMap<string, number>>,
): StatefulDoFn<string, number, string, SpendState, SpendTimers, { deadLetter: string }> {
  return {
    state: { spent: StateSpecs.combining(sum()) },
    timers: { flush: TimerSpecs.timer("EVENT_TIME") },
    process(e, ctx) {
      const cost = e.value * ctx.sideInput(rate);
      const limit = ctx.sideInput(limits).get(ctx.key);
      ctx.timers.flush.set(ctx.window.maxTimestamp());
      if (limit !== undefined && ctx.state.spent.read() + cost > limit) ctx.outputTo("deadLetter", `${ctx.key}:${e.value} over ${limit}`);
      else ctx.state.spent.add(cost);
    },
    onTimer: {
      flush(ctx) {
        const limit = ctx.sideInput(limits).get(ctx.key);
        const spent = ctx.state.spent.read();
        if (limit === undefined) ctx.outputTo("deadLetter", `${ctx.key}: no limit, spent ${spent}`);
        else ctx.output(`${ctx.key} spent ${spent} of ${limit} at rate ${ctx.sideInput(rate)}`);
      },
    },
  };
}

for (const runner of STATE_RUNNERS) {
  describe(`stateful DoFns with side inputs and tagged outputs on ${runner.name}`, () => {
    it(
      "reads a singleton and a map side input of the element's window, waiting until they are ready, and emits to a tagged output from process and from a timer",
      async () => {
        await runOn(runner, (p) => {
          const events = p
            .apply(testStream<KV<string, number>>("rate:2@1s a:1@2s b:4@3s c:1@4s | a:3@6s | wm 10s | rate:3@11s a:2@12s b:1@13s | wm 30s", { kv: true }))
            .apply(windowInto(fixedWindows(WINDOW)));
          // The rate of a window is known only when the watermark passes its end (the
          // combine's on-time pane): the window's elements must wait for it.
          const rates = events
            .apply("Rates", filter((e: KV<string, number>) => e.key === "rate"))
            .apply("RateValues", map((e: KV<string, number>) => e.value))
            .apply("RatePerWindow", combineGlobally(sum(), { withoutDefaults: true }));
          const rate = asSingleton(rates, { defaultValue: 0 });
          const limits = asMap(
            p
              .apply("Limits", createTimestamped([
                { value: kv("a", 10), timestamp: 0 },
                { value: kv("b", 5), timestamp: 0 },
                { value: kv("a", 10), timestamp: WINDOW },
                { value: kv("b", 1), timestamp: WINDOW },
              ]))
              .apply("LimitWindows", windowInto(fixedWindows(WINDOW))),
          );
          const { main, deadLetter } = events
            .apply("Spends", filter((e: KV<string, number>) => e.key !== "rate"))
            .apply(statefulParDo(spendAgainstLimits(rate, limits), { sideInputs: [rate, limits], outputs: ["deadLetter"] }));
          assertThat(main.apply("ReifyMain", reifyPanes())).containsInAnyOrder([
            // a: 1×2 + 3×2 within 10; b's 4×2 went to the dead letters.
            { value: "a spent 8 of 10 at rate 2", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
            { value: "b spent 0 of 5 at rate 2", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
            { value: "a spent 6 of 10 at rate 3", timestamp: 19_999, window: "10000..20000", pane: NO_FIRING },
            { value: "b spent 0 of 1 at rate 3", timestamp: 19_999, window: "10000..20000", pane: NO_FIRING },
          ]);
          assertThat(deadLetter.apply("ReifyDeadLetter", reifyPanes())).containsInAnyOrder([
            // From process, at the element's timestamp; from the timer, at its output timestamp.
            { value: "b:4 over 5", timestamp: 3000, window: "0..10000", pane: NO_FIRING },
            { value: "c: no limit, spent 2", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
            { value: "b:1 over 1", timestamp: 13_000, window: "10000..20000", pane: NO_FIRING },
          ]);
        });
      },
    );

    // Flink's streaming runner (1.19, Beam 2.70 job server) ran onWindowExpiration for a's window
    // [0s, 10s) but never for b's [10s, 20s): "b total 7 of 6" did not arrive (observed
    // 2026-12-06), as it expires state differently in the gc scenarios (gc.test.ts).
    itOn(runner, ["flink"])("onWindowExpiration reads the window's side input and emits to the main or a tagged output", async () => {
      await runOn(runner, (p) => {
        const thresholds = p
          .apply("Thresholds", createTimestamped([
            { value: 4, timestamp: 0 },
            { value: 6, timestamp: WINDOW },
          ]))
          .apply("ThresholdWindows", windowInto(fixedWindows(WINDOW)));
        const threshold = asSingleton(thresholds);
        const { main, deadLetter } = p
          .apply(createTimestamped([
            { value: kv("a", 1), timestamp: 1000 },
            { value: kv("a", 2), timestamp: 2000 },
            { value: kv("b", 7), timestamp: 12_000 },
          ]))
          .apply(windowInto(fixedWindows(WINDOW)))
          .apply(
            statefulParDo<string, number, string, { total: StateSpec<CombiningState<number, number>> }, Record<never, never>, { deadLetter: string }>(
              {
                state: { total: StateSpecs.combining(sum()) },
                process(e, ctx) {
                  ctx.state.total.add(e.value);
                },
                onWindowExpiration(ctx) {
                  const total = ctx.state.total.read();
                  const min = ctx.sideInput(threshold);
                  if (total >= min) ctx.output(`${ctx.key} total ${total} of ${min}`);
                  else ctx.outputTo("deadLetter", `${ctx.key} below ${min}: ${total}`);
                },
              },
              { sideInputs: [threshold], outputs: ["deadLetter"] },
            ),
          );
        assertThat(main.apply("ReifyMain", reifyPanes())).containsInAnyOrder([
          { value: "b total 7 of 6", timestamp: 19_999, window: "10000..20000", pane: NO_FIRING },
        ]);
        assertThat(deadLetter.apply("ReifyDeadLetter", reifyPanes())).containsInAnyOrder([
          { value: "a below 4: 3", timestamp: 9999, window: "0..10000", pane: NO_FIRING },
        ]);
      });
    });
  });
}
