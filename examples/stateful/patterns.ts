/**
 * Four stateful patterns from issue #4: de-duplication with a TTL, per-key batching and a
 * rate limiter written with statefulParDo, and a funnel detector written with detectPattern
 * (a pattern over each user's events, itself a stateful ParDo; issue #24). They are tested in
 * test/conformance/state/examples.test.ts.
 */
import {
  AfterMatchSkipStrategy,
  StateSpecs,
  TimerSpecs,
  begin,
  detectPattern,
  kv,
  map,
  ptransform,
  statefulParDo,
  type KV,
  type Match,
  type PCollection,
  type PTransform,
} from "../../src/index.js";


/** Drops repeats of a key seen within `ttl` ms of event time; an event-time timer forgets the key. */
export function dedupWithTtl(ttl: number) {
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
export function batchPerKey(size: number, maxWait: number) {
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

export type Step = "view" | "cart" | "purchase";

/**
 * Per user: the users who went view → cart → purchase, in that order of event time, within
 * `within` ms of the view, written as a pattern (docs/PATTERNS.md). detectPattern buffers
 * each user's events until the watermark passes them, so late-arriving (out-of-order)
 * events still count; each completed funnel is emitted at its purchase's timestamp, and
 * skipPastLastEvent keeps one funnel per purchase when a user viewed twice.
 */
export function funnelDetector(within: number): PTransform<PCollection<KV<string, Step>>, PCollection<string>> {
  const funnel = begin<Step>("view")
    .where((s) => s === "view")
    .followedBy("cart")
    .where((s) => s === "cart")
    .followedBy("purchase")
    .where((s) => s === "purchase")
    .within(within);
  return ptransform("FunnelDetector", (events: PCollection<KV<string, Step>>) =>
    events
      .apply(detectPattern<string, Step>(funnel, { afterMatchSkip: AfterMatchSkipStrategy.skipPastLastEvent() }))
      .main.apply(map((m: KV<string, Match<Step>>) => m.key)),
  );
}

/**
 * Lets at most `limit` elements per key through per `interval` ms of processing time; the
 * rest wait (in arrival-time order) and are released by a processing-time timer. Each
 * output is tagged with the number of the interval it was released in.
 */
export function rateLimiter(limit: number, interval: number) {
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
