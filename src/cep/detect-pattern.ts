import type { Coder, Instant, KV } from "../model/index.js";
import { ConstructionError, kv } from "../model/index.js";
import { jsValueCoder, kvCoder, varIntCoder } from "../coders/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import {
  StateSpecs,
  TimerSpecs,
  kvComponents,
  statefulParDo,
  type OnTimerContext,
  type StatefulDoFn,
  type StatefulProcessContext,
  type TaggedOutputs,
  type TimerFamily,
  type TimerSpec,
} from "../transforms/index.js";
import { AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
import { matchCoder, nfaStateCoder, timedOutMatchCoder } from "./cep-coders.js";
import { Nfa, emptyNfaState, type Match, type NfaOutput, type NfaState, type TimedOutMatch } from "./nfa.js";
import { validatePattern, type Pattern } from "./pattern.js";

/**
 * Options of `detectPattern`.
 *
 * @example
 * const options: DetectPatternOptions = { afterMatchSkip: AfterMatchSkipStrategy.skipToNext() };
 */
export interface DetectPatternOptions {
  /** What happens to overlapping matches once one is emitted (default: noSkip, as in Flink). */
  readonly afterMatchSkip?: AfterMatchSkipStrategy;
}

/**
 * The outputs of `detectPattern`: `main` has the matches of each key, at the timestamp of
 * their last event; `timeouts` the partial matches whose `within` ran out, at their timeout
 * time; `late` the events that arrived after their key's matcher had moved past their
 * timestamp (also counted in the `beam-ts/cep:lateEvents` counter).
 *
 * @example
 * const { main, timeouts, late }: DetectPatternOutputs<string, Click> = clicks.apply(detectPattern(pattern));
 */
export type DetectPatternOutputs<K, E> = TaggedOutputs<KV<K, Match<E>>, { timeouts: KV<K, TimedOutMatch<E>>; late: KV<K, E> }>;

/** Where the matcher's metrics go. */
const METRICS = "beam-ts/cep";

/**
 * Detects a pattern in each key's events, in event-time order (Flink CEP's
 * `CEP.pattern(keyedStream, pattern)`), built from a stateful ParDo with state and
 * event-time timers only, so it runs on portable runners too.
 *
 * Events are buffered in state until the watermark passes their timestamp (a timer per
 * timestamp, which also holds the output watermark), then fed to the NFA in timestamp
 * order; ties keep arrival order. Out-of-order input thus gives the matches sorted input
 * gives. An event whose timestamp is before the time its key's matcher has reached goes
 * to `late`. Partial matches older than the pattern's `within` time out (an event-time
 * timer), go to `timeouts`, and leave state.
 *
 * @example
 * const pattern = begin<Click>("view").where((c) => c.page === "product")
 *   .followedBy("purchase").where((c) => c.page === "checkout")
 *   .within(10 * 60_000);
 * const { main, timeouts } = clicksByUser.apply(detectPattern(pattern));
 */
export function detectPattern<K, E>(pattern: Pattern<E>, options: DetectPatternOptions = {}): PTransform<PCollection<KV<K, E>>, DetectPatternOutputs<K, E>> {
  return new DetectPattern<K, E>(pattern, options.afterMatchSkip ?? AfterMatchSkipStrategy.noSkip());
}

class DetectPattern<K, E> extends PTransform<PCollection<KV<K, E>>, DetectPatternOutputs<K, E>> {
  constructor(
    private readonly pattern: Pattern<E>,
    private readonly skip: AfterMatchSkipStrategy,
  ) {
    super("DetectPattern");
  }

  expand(input: PCollection<KV<K, E>>): DetectPatternOutputs<K, E> {
    const label = input.pipeline.currentLabel();
    validatePattern(this.pattern, label);
    if (this.skip.kind === "skipToFirst" || this.skip.kind === "skipToLast") {
      const stage = this.skip.stage;
      if (!this.pattern.stages.some((s) => s.name === stage && s.kind === "take")) {
        throw new ConstructionError(
          `${label}: the skip strategy ${this.skip.kind}("${stage}") names no stage that takes events; use one of ${this.pattern.stages
            .filter((s) => s.kind === "take")
            .map((s) => `"${s.name}"`)
            .join(", ")}.`,
        );
      }
    }
    const [keyCoder, eventCoder] = kvComponents(input.coder as Coder<KV<unknown, unknown>>) as [Coder<K>, Coder<E>];
    const out = input.apply("Match", statefulParDo<K, E, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, Tags<K, E>>(matcherFn<K, E>(this.pattern, this.skip, eventCoder), {
      outputs: ["timeouts", "late"],
      // A match waiting for a skip strategy, or completed by a trailing notNext, is emitted
      // at its last event's timestamp after that event's timer fired.
      allowedTimestampSkew: Infinity,
    }));
    out.main.withCoder(kvCoder(keyCoder, matchCoder(eventCoder)));
    out.timeouts.withCoder(kvCoder(keyCoder, timedOutMatchCoder(eventCoder)));
    out.late.withCoder(input.coder);
    return out;
  }
}

/** A buffered event: its arrival number (for ties), timestamp and value. */
type Pending<E> = KV<readonly [number, Instant], E>;

type Tags<K, E> = { timeouts: KV<K, TimedOutMatch<E>>; late: KV<K, E> };

function matcherState<E>(eventCoder: Coder<E>) {
  return {
    // Events waiting for the watermark, with their arrival number and timestamp.
    pending: StateSpecs.bag<Pending<E>>(kvCoder(jsValueCoder, eventCoder) as Coder<Pending<E>>),
    arrivals: StateSpecs.value<number>(varIntCoder),
    // The time the key's NFA has reached: events before it are late.
    time: StateSpecs.value<number>(jsValueCoder as Coder<number>),
    nfa: StateSpecs.value<NfaState<E>>(nfaStateCoder(eventCoder)),
  };
}
type MatcherState<E> = ReturnType<typeof matcherState<E>>;
type MatcherTimers = { at: TimerSpec<TimerFamily> };

function matcherFn<K, E>(
  pattern: Pattern<E>,
  skip: AfterMatchSkipStrategy,
  eventCoder: Coder<E>,
): StatefulDoFn<K, E, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, Tags<K, E>> {
  const nfa = new Nfa(pattern, skip);
  return {
    state: matcherState(eventCoder),
    timers: { at: TimerSpecs.timerFamily("EVENT_TIME") },
    process: (element, ctx) => processFn(element, ctx),
    onTimer: { at: (ctx) => fireFn(ctx, nfa) },
  };
}

function processFn<K, E>(
  element: KV<K, E>,
  ctx: StatefulProcessContext<K, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, Tags<K, E>>,
): void {
  const ts = ctx.timestamp;
  const time = ctx.state.time.read();
  if (time !== undefined && ts < time) {
    ctx.metrics.counter(METRICS, "lateEvents").inc();
    ctx.outputTo("late", element);
    return;
  }
  const seq = ctx.state.arrivals.read() ?? 0;
  ctx.state.arrivals.write(seq + 1);
  ctx.state.pending.add(kv([seq, ts] as const, element.value));
  // One timer per timestamp: it fires once the watermark passes the event, and its
  // output timestamp (the event's) holds the output watermark for the match it may end.
  ctx.timers.at.get(String(ts)).set(ts);
}

function fireFn<K, E>(
  ctx: OnTimerContext<K, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, Tags<K, E>>,
  nfa: Nfa<E>,
): void {
  const now = ctx.fireTimestamp;
  const all = ctx.state.pending.read();
  const due = all.filter((p) => p.key[1] <= now).sort((a, b) => a.key[1] - b.key[1] || a.key[0] - b.key[0]);
  const rest = all.filter((p) => p.key[1] > now);
  const state = ctx.state.nfa.read() ?? emptyNfaState<E>();
  const emit = (o: NfaOutput<E>): void => {
    for (const m of o.matches) ctx.outputWithTimestamp(kv(ctx.key, m.match), m.timestamp);
    for (const t of o.timeouts) ctx.outputTo("timeouts", kv(ctx.key, t));
    if (o.matches.length > 0) ctx.metrics.counter(METRICS, "matches").inc(o.matches.length);
    if (o.timeouts.length > 0) ctx.metrics.counter(METRICS, "timeouts").inc(o.timeouts.length);
  };
  for (const p of due) emit(nfa.process(state, p.value, p.key[1]));
  emit(nfa.advanceTime(state, now));
  ctx.state.time.write(Math.max(now, ctx.state.time.read() ?? now));
  if (due.length > 0) {
    ctx.state.pending.clear();
    for (const p of rest) ctx.state.pending.add(p);
  }
  ctx.metrics.distribution(METRICS, "partialMatches").update(state.partials.length);
  if (state.partials.length === 0 && state.completed.length === 0) {
    ctx.state.nfa.clear();
  } else {
    ctx.state.nfa.write(state);
  }
  // Partial matches time out when the watermark passes their first event + within; a
  // timer past the window's end could never fire (state is dropped with the window).
  const timeout = nfa.nextTimeout(state);
  if (timeout !== undefined && timeout <= ctx.window.maxTimestamp()) ctx.timers.at.get(String(timeout)).set(timeout);
}
