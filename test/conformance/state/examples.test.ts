import { describe } from "vitest";
import { assertThat, kv, reifyPanes, testStream, type KV } from "../../../src/index.js";
import { batchPerKey, dedupWithTtl, funnelDetector, rateLimiter, type Step } from "../../../examples/stateful/patterns.js";
import { runOn } from "../runners.js";
import { NO_FIRING, STATE_RUNNERS, itOn } from "./helpers.js";

const MINUTE = 60_000;

for (const runner of STATE_RUNNERS) {
  describe(`stateful examples on ${runner.name}`, () => {
    // Prism 2.77 fires an event-time timer as soon as the watermark reaches its time (Beam:
    // once the watermark passes it), so y is forgotten at wm 12s and y:3 is accepted.
    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["prism", "flink"])("de-duplication with a TTL drops repeats within the TTL and accepts the key again after it", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(
            testStream<KV<string, number>>(`
              x:1@1s y:1@2s x:2@5s     # x:2 repeats x within 10s: dropped
              wm 9s
              x:3@9.5s y:2@10s         # still within the TTL of both
              wm 12s                   # x forgotten (its TTL ended at 11s); y's ends at 12s, not yet passed
              x:4@13s y:3@12s          # x accepted again, y still a duplicate
              wm 13s
              y:4@14s                  # y forgotten at wm 13s: accepted
              x:5@20s                  # within x's new TTL: dropped
            `, { kv: true }),
          )
          .apply(dedupWithTtl(10_000))
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([
          { value: kv("x", 1), timestamp: 1000, window: "global", pane: NO_FIRING },
          { value: kv("y", 1), timestamp: 2000, window: "global", pane: NO_FIRING },
          { value: kv("x", 4), timestamp: 13_000, window: "global", pane: NO_FIRING },
          { value: kv("y", 4), timestamp: 14_000, window: "global", pane: NO_FIRING },
        ]);
      });
    });

    // Flink's streaming runner expires state and fires timers / onWindowExpiration differently from Beam's model here.
    itOn(runner, ["flink"])("per-key buffering emits a batch when full, and otherwise flushes it when the watermark passes its first element + the wait", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(
            testStream<KV<string, number>>(`
              a:1@1s a:2@2s a:3@3s a:4@4s b:1@5s
              wm 20s
              a:5@21s
            `, { kv: true }),
          )
          .apply(batchPerKey(3, 10_000))
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([
          // Full at a:3: emitted at once, with that element's timestamp.
          { value: kv("a", [1, 2, 3]), timestamp: 3000, window: "global", pane: NO_FIRING },
          // Flushed by the timer, at its firing time.
          { value: kv("a", [4]), timestamp: 14_000, window: "global", pane: NO_FIRING },
          { value: kv("b", [1]), timestamp: 15_000, window: "global", pane: NO_FIRING },
          { value: kv("a", [5]), timestamp: 31_000, window: "global", pane: NO_FIRING },
        ]);
      });
    });

    // detectPattern keeps bag and value state and an event-time timer family: Flink serves them all.
    itOn(runner, [])("a funnel detector emits the users who went view → cart → purchase within 10 minutes, not those too slow or skipping a step", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(
            testStream<KV<string, Step>>(`
              alice:view@1m bob:view@2m carol:view@2m dave:view@1m
              alice:cart@3m bob:cart@5m carol:purchase@4m dave:purchase@5m
              carol:cart@3m                       # arrives late but happened before the purchase
              alice:purchase@8m
              wm 14m
              bob:purchase@15m                    # 13 minutes after the view: too slow
              erin:cart@20m erin:purchase@21m     # never viewed
              wm 40m
            `, { kv: true }),
          )
          .apply(funnelDetector(10 * MINUTE))
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([
          // Emitted at each user's purchase (the match's last event).
          { value: "alice", timestamp: 8 * MINUTE, window: "global", pane: NO_FIRING },
          { value: "carol", timestamp: 4 * MINUTE, window: "global", pane: NO_FIRING },
        ]);
      });
    });

    // Prism 2.77 keeps processing time on its own clock and rebases timers set for wall-clock
    // now + delay onto it, so the intervals do not line up with the script's "pt" events.
    // Flink's TestStream cannot advance processing time: refused before submission (UnsupportedFeatureError).
    itOn(runner, ["prism"], ["flink"])("a rate limiter passes at most N elements per key per processing-time interval and releases the rest as the timer fires", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(
            testStream<KV<string, number>>(`
              a:1@1s a:2@2s a:3@3s a:4@4s a:5@5s b:1@1s
              pt +10s          # interval 1 for a and b
              a:6@6s
              pt +10s          # interval 2 for a
              pt +10s          # interval 3: nothing left
              b:2@7s b:3@8s b:4@9s
            `, { kv: true }),
          )
          .apply(rateLimiter(2, 10_000));
        assertThat(out).containsInAnyOrder([
          "a1#0",
          "a2#0",
          "b1#0",
          "a3#1",
          "a4#1",
          "a5#2",
          "a6#2",
          // b's interval closed at 10s (nothing waited): b starts afresh, still in period 1.
          "b2#1",
          "b3#1",
          // Released when the input ends, as pending processing-time timers fire.
          "b4#2",
        ]);
      });
    });
  });
}
