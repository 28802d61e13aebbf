import type { Coder, Instant, KV } from "../model/index.js";
import { kv } from "../model/index.js";
import { jsValueCoder, kvCoder, varIntCoder } from "../coders/index.js";
import {
  StateSpecs,
  TimerSpecs,
  type OnTimerContext,
  type StatefulDoFn,
  type StatefulProcessContext,
  type TimerFamily,
  type TimerSpec,
} from "../transforms/index.js";
import type { AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
import { nfaStateCoder } from "./cep-coders.js";
import { Nfa, emptyNfaState, type Match, type NfaOutput, type NfaState, type TimedOutMatch } from "./nfa.js";
import type { Pattern } from "./pattern.js";

/** Where the matcher's metrics go. */
export const CEP_METRICS_NAMESPACE = "beam-ts/cep";

/** A buffered event: its arrival number (for ties), timestamp and value. */
type Pending<E> = KV<readonly [number, Instant], E>;

/** The tagged outputs of the matcher besides its matches. */
export type MatcherTags<K, E> = { timeouts: KV<K, TimedOutMatch<E>>; late: KV<K, E> };

/** The state cells of one key and window (see `matcherFn`). */
export function matcherState<E>(eventCoder: Coder<E>) {
  return {
    // Events waiting for the watermark, with their arrival number and timestamp.
    pending: StateSpecs.bag<Pending<E>>(kvCoder(jsValueCoder, eventCoder) as Coder<Pending<E>>),
    // The next arrival number; it only orders pending events of equal timestamps, so it is
    // cleared whenever `pending` empties.
    arrivals: StateSpecs.value<number>(varIntCoder),
    // The time the key's NFA has reached: events before it are late. The one cell that
    // stays while the key has nothing open (Flink keeps a key's NFA state the same way);
    // the runner drops it with the window.
    time: StateSpecs.value<number>(jsValueCoder as Coder<number>),
    nfa: StateSpecs.value<NfaState<E>>(nfaStateCoder(eventCoder)),
  };
}
export type MatcherState<E> = ReturnType<typeof matcherState<E>>;
export type MatcherTimers = { at: TimerSpec<TimerFamily> };

/**
 * The stateful DoFn of `detectPattern`: `process` buffers each event and sets an
 * event-time timer at its timestamp; the timer feeds the NFA every buffered event up to
 * that time, in (timestamp, arrival) order, times out partial matches, and sets a timer at
 * the earliest timeout. State holds only what is still open: a key whose partial matches
 * all ended keeps nothing but the time it reached.
 *
 * @example
 * const fn = matcherFn<string, string>(begin<string>("a"), AfterMatchSkipStrategy.noSkip(), jsValueCoder);
 * keyed.apply(statefulParDo(fn, { outputs: ["timeouts", "late"], allowedTimestampSkew: Infinity }));
 */
export function matcherFn<K, E>(
  pattern: Pattern<E>,
  skip: AfterMatchSkipStrategy,
  eventCoder: Coder<E>,
): StatefulDoFn<K, E, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, MatcherTags<K, E>> {
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
  ctx: StatefulProcessContext<K, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, MatcherTags<K, E>>,
): void {
  const ts = ctx.timestamp;
  const time = ctx.state.time.read();
  if (time !== undefined && ts < time) {
    ctx.metrics.counter(CEP_METRICS_NAMESPACE, "lateEvents").inc();
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

function fireFn<K, E>(ctx: OnTimerContext<K, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, MatcherTags<K, E>>, nfa: Nfa<E>): void {
  const now = ctx.fireTimestamp;
  const all = ctx.state.pending.read();
  const due = all.filter((p) => p.key[1] <= now).sort((a, b) => a.key[1] - b.key[1] || a.key[0] - b.key[0]);
  const rest = all.filter((p) => p.key[1] > now);
  const state = ctx.state.nfa.read() ?? emptyNfaState<E>();
  const emit = (o: NfaOutput<E>): void => {
    for (const m of o.matches) ctx.outputWithTimestamp(kv(ctx.key, m.match), m.timestamp);
    for (const t of o.timeouts) ctx.outputTo("timeouts", kv(ctx.key, t));
    if (o.matches.length > 0) ctx.metrics.counter(CEP_METRICS_NAMESPACE, "matches").inc(o.matches.length);
    if (o.timeouts.length > 0) ctx.metrics.counter(CEP_METRICS_NAMESPACE, "timeouts").inc(o.timeouts.length);
  };
  for (const p of due) emit(nfa.process(state, p.value, p.key[1]));
  emit(nfa.advanceTime(state, now));
  ctx.state.time.write(Math.max(now, ctx.state.time.read() ?? now));
  if (due.length > 0) {
    ctx.state.pending.clear();
    for (const p of rest) ctx.state.pending.add(p);
    if (rest.length === 0) ctx.state.arrivals.clear();
  }
  ctx.metrics.distribution(CEP_METRICS_NAMESPACE, "partialMatches").update(state.partials.length);
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
