import { describe } from "vitest";
import { StateSpecs, TimerSpecs, assertThat, fixedWindows, kv, reifyPanes, statefulParDo, testStream, windowInto, type KV } from "../../../src/index.js";
import { runOn } from "../runners.js";
import { NO_FIRING, sortedJoin, STATE_RUNNERS, itOn } from "./helpers.js";

/** Attempts made so far by the DoFns below; module-level, so retries (fresh DoFn instances) share them. */
let attempts = 0;

for (const runner of STATE_RUNNERS) {
  describe(`state and timers across bundle retries on ${runner.name}`, () => {
    // Prism fails the job on the first bundle failure instead of retrying the bundle.
    // Flink: fails the job on the first bundle failure (no bundle retries).
    itOn(runner, ["prism", "flink"])("a bundle that fails once is retried, and its state shows no trace of the failed attempt", async () => {
      attempts = 0;
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, number>>("a:1 a:1 | a:1 b:1", { kv: true })).apply(
          statefulParDo({
            state: { count: StateSpecs.value<number>(), seen: StateSpecs.bag<number>() },
            process(e: KV<string, number>, ctx) {
              const n = (ctx.state.count.read() ?? 0) + e.value;
              ctx.state.count.write(n);
              ctx.state.seen.add(n);
              // Fails the first time the second element is processed, after writing state.
              if (n === 2 && attempts++ === 0) throw new Error("transient");
              ctx.output(`${ctx.key}=${n} seen=${sortedJoin(ctx.state.seen.read())}`);
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["a=1 seen=1", "a=2 seen=1,2", "a=3 seen=1,2,3", "b=1 seen=1"]);
      });
    });

    // Prism fails the job on the first bundle failure instead of retrying the bundle.
    // Flink: fails the job on the first bundle failure (no bundle retries).
    itOn(runner, ["prism", "flink"])("an onTimer that fails once is retried: the timer still fires and the failed attempt's state changes are undone", async () => {
      attempts = 0;
      await runOn(runner, (p) => {
        const out = p
          .apply(testStream<KV<string, number>>("a:1@1s a:2@2s | wm 60s", { kv: true }))
          .apply(
            statefulParDo({
              state: { buffer: StateSpecs.bag<number>() },
              timers: { flush: TimerSpecs.timer("EVENT_TIME") },
              process(e: KV<string, number>, ctx) {
                ctx.state.buffer.add(e.value);
                ctx.timers.flush.set(10_000);
              },
              onTimer: {
                flush(ctx) {
                  const values = ctx.state.buffer.read();
                  ctx.state.buffer.clear();
                  ctx.state.buffer.add(100);
                  if (attempts++ === 0) throw new Error("transient");
                  ctx.output(`flushed [${sortedJoin(values)}]`);
                },
              },
            }),
          )
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([{ value: "flushed [1,2]", timestamp: 10_000, window: "global", pane: NO_FIRING }]);
      });
    });

    // Prism fails the job on the first bundle failure instead of retrying the bundle.
    // Flink: fails the job on the first bundle failure (no bundle retries).
    itOn(runner, ["prism", "flink"])("a timer set by a failed attempt is undone: it never fires if the retry does not set it", async () => {
      attempts = 0;
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, number>>("a:1@1s | wm 60s", { kv: true })).apply(
          statefulParDo({
            timers: { ghost: TimerSpecs.timer("EVENT_TIME"), real: TimerSpecs.timer("EVENT_TIME") },
            process(_e: KV<string, number>, ctx) {
              if (attempts++ === 0) {
                ctx.timers.ghost.set(5000);
                throw new Error("transient");
              }
              ctx.timers.real.set(6000);
            },
            onTimer: {
              ghost(ctx) {
                ctx.output(`ghost ${ctx.key}`);
              },
              real(ctx) {
                ctx.output(`real ${ctx.key}`);
              },
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["real a"]);
      });
    });

    // Prism fails the job on the first bundle failure instead of retrying the bundle.
    // Flink: fails the job on the first bundle failure (no bundle retries).
    itOn(runner, ["prism", "flink"])("a timer cleared by a failed attempt is restored and still fires", async () => {
      attempts = 0;
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, number>>("a:1@1s | a:2@2s | wm 60s", { kv: true })).apply(
          statefulParDo({
            timers: { t: TimerSpecs.timer("EVENT_TIME") },
            process(e: KV<string, number>, ctx) {
              if (e.value === 1) ctx.timers.t.set(5000);
              else if (attempts++ === 0) {
                ctx.timers.t.clear();
                throw new Error("transient");
              }
            },
            onTimer: {
              t(ctx) {
                ctx.output(kv(ctx.key, ctx.fireTimestamp));
              },
            },
          }),
        );
        assertThat(out).containsInAnyOrder([kv("a", 5000)]);
      });
    });

    // Prism fails the job on the first bundle failure instead of retrying the bundle.
    // Flink: fails the job on the first bundle failure (no bundle retries).
    itOn(runner, ["prism", "flink"])("a window whose state a failed attempt created expires once, with the retry's state", async () => {
      attempts = 0;
      await runOn(runner, (p) => {
        const out = p
          .apply(testStream<KV<string, number>>("a:1@1s | wm 60s", { kv: true }))
          .apply(windowInto(fixedWindows(10_000)))
          .apply(
            statefulParDo({
              state: { sum: StateSpecs.value<number>() },
              process(e: KV<string, number>, ctx) {
                ctx.state.sum.write((ctx.state.sum.read() ?? 0) + e.value);
                // The first attempt creates the window's state, then fails.
                if (attempts++ === 0) throw new Error("transient");
              },
              onWindowExpiration(ctx) {
                ctx.output(`expired sum=${String(ctx.state.sum.read())}`);
              },
            }),
          );
        assertThat(out).containsInAnyOrder(["expired sum=1"]);
      });
    });
  });
}
