import { describe, it } from "vitest";
import { StateSpecs, TimerSpecs, assertThat, kv, reifyPanes, statefulParDo, testStream, type KV } from "../../../src/index.js";
import { RUNNERS, runOn } from "../runners.js";
import { NO_FIRING } from "./helpers.js";

const MINUTE = 60_000;

/** Drops repeats of a key seen within `ttl` ms of event time; an event-time timer forgets the key. */
function dedupWithTtl(ttl: number) {
  return statefulParDo({
    state: { seen: StateSpecs.value<boolean>() },
    timers: { expire: TimerSpecs.timer("EVENT_TIME") },
    process(e: KV<string, number>, ctx) {
      if (ctx.state.seen.read() === true) return;
      ctx.state.seen.write(true);
      ctx.timers.expire.set(ctx.timestamp + ttl);
      ctx.output(e);
    },
    onTimer: {
      expire(ctx) {
        ctx.state.seen.clear();
      },
    },
  });
}

/** Emits a key's batch when it reaches `size` elements, or when the watermark passes its first element + `maxWait`. */
function batchPerKey(size: number, maxWait: number) {
  return statefulParDo({
    state: { buffer: StateSpecs.bag<number>(), count: StateSpecs.value<number>() },
    timers: { flush: TimerSpecs.timer("EVENT_TIME") },
    process(e: KV<string, number>, ctx) {
      const n = (ctx.state.count.read() ?? 0) + 1;
      if (n === 1) ctx.timers.flush.set(ctx.timestamp + maxWait);
      ctx.state.buffer.add(e.value);
      ctx.state.count.write(n);
      if (n === size) {
        ctx.output(kv(ctx.key, [...ctx.state.buffer.read()].sort((a, b) => a - b)));
        ctx.state.buffer.clear();
        ctx.state.count.clear();
        ctx.timers.flush.clear();
      }
    },
    onTimer: {
      flush(ctx) {
        ctx.output(kv(ctx.key, [...ctx.state.buffer.read()].sort((a, b) => a - b)));
        ctx.state.buffer.clear();
        ctx.state.count.clear();
      },
    },
  });
}

type Step = "view" | "cart" | "purchase";
const FUNNEL: readonly Step[] = ["view", "cart", "purchase"];

/**
 * Per user: a view starts a 10-minute deadline (event-time timer). Events are kept in an
 * ordered list by event time, so late-arriving (out-of-order) events still count; at the
 * deadline the user is emitted when view → cart → purchase happened, in that order, within it.
 */
function funnelDetector(within: number) {
  return statefulParDo({
    state: { events: StateSpecs.orderedList<Step>(), start: StateSpecs.value<number>() },
    timers: { deadline: TimerSpecs.timer("EVENT_TIME") },
    process(e: KV<string, Step>, ctx) {
      ctx.state.events.add(e.value, ctx.timestamp);
      if (e.value === "view" && ctx.state.start.read() === undefined) {
        ctx.state.start.write(ctx.timestamp);
        ctx.timers.deadline.set(ctx.timestamp + within);
      }
    },
    onTimer: {
      deadline(ctx) {
        const start = ctx.state.start.read()!;
        let next = 0;
        for (const { value } of ctx.state.events.readRange(start, start + within)) {
          if (next < FUNNEL.length && value === FUNNEL[next]) next++;
        }
        if (next === FUNNEL.length) ctx.output(ctx.key);
        ctx.state.events.clearRange(start, start + within);
        ctx.state.start.clear();
      },
    },
  });
}

/**
 * Lets at most `limit` elements per key through per `interval` ms of processing time; the
 * rest wait (in arrival-time order) and are released by a processing-time timer. Each
 * output is tagged with the number of the interval it was released in.
 */
function rateLimiter(limit: number, interval: number) {
  return statefulParDo({
    state: {
      passed: StateSpecs.value<number>(),
      period: StateSpecs.value<number>(),
      waiting: StateSpecs.orderedList<number>(),
    },
    timers: { reset: TimerSpecs.timer("PROCESSING_TIME") },
    process(e: KV<string, number>, ctx) {
      const passed = ctx.state.passed.read();
      if (passed === undefined) {
        // The first element of a quiet key opens an interval.
        ctx.timers.reset.setRelative(interval);
        ctx.state.passed.write(0);
      }
      if ((passed ?? 0) < limit) {
        ctx.state.passed.write((passed ?? 0) + 1);
        ctx.output(`${ctx.key}${e.value}#${ctx.state.period.read() ?? 0}`);
      } else {
        ctx.state.waiting.add(e.value, ctx.timestamp);
      }
    },
    onTimer: {
      reset(ctx) {
        const period = (ctx.state.period.read() ?? 0) + 1;
        ctx.state.period.write(period);
        const released = ctx.state.waiting.read().slice(0, limit);
        for (const w of released) ctx.output(`${ctx.key}${w.value}#${period}`);
        if (released.length > 0) ctx.state.waiting.clearRange(released[0]!.timestamp, released[released.length - 1]!.timestamp + 1);
        if (released.length > 0 || !ctx.state.waiting.isEmpty()) {
          ctx.state.passed.write(released.length);
          ctx.timers.reset.setRelative(interval);
        } else {
          ctx.state.passed.clear();
        }
      },
    },
  });
}

for (const runner of RUNNERS) {
  describe(`stateful examples on ${runner.name}`, () => {
    it("de-duplication with a TTL drops repeats within the TTL and accepts the key again after it", async () => {
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
            `),
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

    it("per-key buffering emits a batch when full, and otherwise flushes it when the watermark passes its first element + the wait", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(
            testStream<KV<string, number>>(`
              a:1@1s a:2@2s a:3@3s a:4@4s b:1@5s
              wm 20s
              a:5@21s
            `),
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

    it("a funnel detector emits the users who went view → cart → purchase within 10 minutes, not those too slow or skipping a step", async () => {
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
            `),
          )
          .apply(funnelDetector(10 * MINUTE))
          .apply(reifyPanes());
        assertThat(out).containsInAnyOrder([
          // Emitted at each user's deadline.
          { value: "alice", timestamp: 11 * MINUTE, window: "global", pane: NO_FIRING },
          { value: "carol", timestamp: 12 * MINUTE, window: "global", pane: NO_FIRING },
        ]);
      });
    });

    it("a rate limiter passes at most N elements per key per processing-time interval and releases the rest as the timer fires", async () => {
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
            `),
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
