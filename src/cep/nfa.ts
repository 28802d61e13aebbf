import type { Instant } from "../model/index.js";
import { pruneTest, type AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
import type { Condition, IterativeContext, Pattern, Stage } from "./pattern.js";

/**
 * A match: the events each stage took, by stage name, in event-time order (Flink CEP's
 * `Map<String, List<E>>`). Stages that took nothing (optional ones) are absent.
 *
 * @example
 * const m: Match<string> = { view: ["v1"], cart: ["c1", "c2"] };
 */
export type Match<E> = { readonly [stage: string]: readonly E[] };

/**
 * A partial match whose `within` ran out before it completed (Flink's timed-out pattern),
 * with what it had taken and the time it timed out: its first event's timestamp + within.
 *
 * @example
 * const t: TimedOutMatch<string> = { match: { view: ["v1"] }, timeoutTimestamp: 600_000 };
 */
export interface TimedOutMatch<E> {
  readonly match: Match<E>;
  readonly timeoutTimestamp: Instant;
}

/**
 * A partial match (Flink's ComputationState), as plain data so that it is stored through a
 * coder: the stage it waits in, how many events that stage took, whether it skipped an
 * event since its last take (then it may not move to the next stage, as Flink's ignore
 * states have no proceed edge), and the ids of the events taken with their stage indices.
 *
 * @example
 * const p: PartialMatch = { stage: 1, count: 0, ignored: false, ids: [0], stages: [0], startTs: 1_000 };
 */
export interface PartialMatch {
  readonly stage: number;
  readonly count: number;
  readonly ignored: boolean;
  readonly ids: readonly number[];
  readonly stages: readonly number[];
  readonly startTs: Instant;
}

/**
 * The NFA's state of one key: plain data, plus the events partial matches refer to.
 *
 * @example
 * const state: NfaState<string> = emptyNfaState<string>();
 */
export interface NfaState<E> {
  /** The id the next event gets: ids follow processing order, (timestamp, arrival). */
  nextId: number;
  partials: PartialMatch[];
  /** Complete matches a skip strategy holds back until no earlier partial match is open. */
  completed: PartialMatch[];
  /** Events by id, with their timestamps: only those partial or held matches refer to. */
  events: Map<number, { readonly timestamp: Instant; readonly value: E }>;
}

/**
 * What one step of the NFA emits: complete matches (each with its last event's timestamp)
 * and timed-out partial matches.
 *
 * @example
 * const out: NfaOutput<string> = { matches: [{ match: { a: ["a1"] }, timestamp: 1 }], timeouts: [] };
 */
export interface NfaOutput<E> {
  readonly matches: { readonly match: Match<E>; readonly timestamp: Instant }[];
  readonly timeouts: TimedOutMatch<E>[];
}

/**
 * An empty NFA state: no partial match, no event.
 *
 * @example
 * const state = emptyNfaState<string>(); // state.partials.length === 0
 */
export function emptyNfaState<E>(): NfaState<E> {
  return { nextId: 0, partials: [], completed: [], events: new Map() };
}

type Outcome =
  | { readonly kind: "take"; readonly stage: number; readonly count: number }
  | { readonly kind: "ignore"; readonly stage: number; readonly count: number }
  | { readonly kind: "stop" }
  | { readonly kind: "final" };

/**
 * Flink CEP's NFA, interpreted over the pattern's stages instead of compiled to states. A
 * partial match at (stage, count) has three kinds of edges for an event: TAKE it into the
 * stage, IGNORE it (by the stage's contiguity), and PROCEED to the next stage without
 * taking (when the stage has its minimum, and it has not ignored since its last take),
 * evaluated again on the same event. Every event also starts a fresh partial match, whose
 * IGNORE edges are dropped (a match starts at the event it takes first). A TAKE after which
 * every later stage may be skipped completes a match at once.
 *
 * @example
 * const nfa = new Nfa(begin<string>("a").where((e) => e === "a").next("b").where((e) => e === "b"), AfterMatchSkipStrategy.noSkip());
 * const state = emptyNfaState<string>();
 * nfa.process(state, "a", 1);
 * nfa.process(state, "b", 2).matches; // [{ match: { a: ["a"], b: ["b"] }, timestamp: 2 }]
 */
export class Nfa<E> {
  private readonly stages: readonly Stage<E>[];
  /** For each stage, the notFollowedBy conditions between it and the previous taking stage. */
  private readonly guards: readonly (readonly Condition<E>[])[];
  private readonly names: readonly string[];
  private readonly windowTime: number | undefined;

  constructor(
    pattern: Pattern<E>,
    private readonly skip: AfterMatchSkipStrategy,
  ) {
    this.stages = pattern.stages;
    this.names = this.stages.map((s) => s.name);
    this.windowTime = pattern.windowTime;
    const guards: Condition<E>[][] = [];
    let pending: Condition<E>[] = [];
    for (const s of this.stages) {
      if (s.kind === "notFollowedBy") {
        pending.push(s.condition);
        guards.push([]);
      } else {
        guards.push(pending);
        pending = [];
      }
    }
    this.guards = guards;
  }

  /**
   * Feeds one event, the next in (timestamp, arrival) order: first times out partial
   * matches that can no longer complete within the pattern's window, then moves every
   * partial match, then emits matches by the skip strategy. Mutates `state`.
   */
  process(state: NfaState<E>, value: E, timestamp: Instant): NfaOutput<E> {
    const before = this.advanceTime(state, timestamp);
    const id = state.nextId++;
    state.events.set(id, { timestamp, value });
    const fresh: PartialMatch = { stage: 0, count: 0, ignored: false, ids: [], stages: [], startTs: timestamp };
    const partials: PartialMatch[] = [];
    const potential: PartialMatch[] = [];
    for (const p of [...state.partials, fresh]) {
      const isStart = p === fresh;
      const retained: PartialMatch[] = [];
      let stopped = false;
      for (const o of this.edges(state, p, p.stage, p.count, p.ignored, value, timestamp)) {
        if (o.kind === "stop") {
          stopped = true;
        } else if (o.kind === "final") {
          potential.push(p);
        } else if (o.kind === "ignore") {
          if (!isStart) retained.push({ ...p, stage: o.stage, count: o.count, ignored: true });
        } else {
          const taken: PartialMatch = {
            ids: [...p.ids, id],
            stages: [...p.stages, o.stage],
            startTs: isStart ? timestamp : p.startTs,
            ...this.afterTake(o.stage, o.count),
          };
          if (this.reachesFinal(state, o.stage, o.count, value, timestamp, taken)) potential.push(taken);
          if (taken.stage < this.stages.length) retained.push(taken);
        }
      }
      // Flink discards every state a partial match reached on this event once one branch
      // reached a stop state (a negation matched); matches it completed are kept.
      if (!stopped) partials.push(...retained);
    }
    state.partials = partials;
    const matches = [...before.matches, ...this.emit(state, potential)];
    this.collectGarbage(state);
    return { matches, timeouts: before.timeouts };
  }

  /**
   * Moves the NFA's time to `time` (the watermark, or the next event's timestamp): partial
   * matches whose first event is `within` or more before it time out; matches a skip
   * strategy held back behind them are released.
   */
  advanceTime(state: NfaState<E>, time: Instant): NfaOutput<E> {
    const timeouts: TimedOutMatch<E>[] = [];
    const within = this.windowTime;
    if (within !== undefined) {
      const kept: PartialMatch[] = [];
      for (const p of state.partials) {
        if (time - p.startTs >= within) timeouts.push({ match: this.materialize(state, p), timeoutTimestamp: p.startTs + within });
        else kept.push(p);
      }
      state.partials = kept;
    }
    const matches = this.emit(state, []);
    this.collectGarbage(state);
    return { matches, timeouts };
  }

  /** The earliest time at which a partial match times out, if any. */
  nextTimeout(state: NfaState<E>): Instant | undefined {
    if (this.windowTime === undefined || state.partials.length === 0) return undefined;
    return Math.min(...state.partials.map((p) => p.startTs)) + this.windowTime;
  }

  /** The edges a partial match at (i, c) follows for an event (see the class comment). */
  private edges(state: NfaState<E>, p: PartialMatch, i: number, c: number, ignored: boolean, e: E, ts: Instant): Outcome[] {
    const st = this.stages[i]!;
    const ctx = this.context(state, p, ts);
    if (st.kind === "notNext") {
      if (st.condition(e, ctx)) return [{ kind: "stop" }];
      // A trailing notNext completes the match on the next event that is not forbidden.
      if (i === this.stages.length - 1) return [{ kind: "final" }];
      return this.edges(state, p, this.after(i), 0, false, e, ts);
    }
    if (c === 0 && this.guards[i]!.some((g) => g(e, ctx))) return [{ kind: "stop" }];
    const out: Outcome[] = [];
    const matches = st.condition(e, ctx);
    // until() ends a loop that has started: the event is neither taken nor skipped by it.
    const stopped = c > 0 && st.until !== undefined && st.until(e, ctx);
    if (c < st.max && matches && !stopped) out.push({ kind: "take", stage: i, count: c + 1 });
    const contiguity = c === 0 ? st.contiguity : st.inner;
    const mayIgnore = contiguity === "nonDeterministicRelaxed" || (contiguity === "relaxed" && !matches);
    if (mayIgnore && !stopped) out.push({ kind: "ignore", stage: i, count: c });
    const mayProceed = c >= st.min && !ignored && !(st.greedy && matches && !stopped);
    const next = this.after(i);
    if (mayProceed && next < this.stages.length) out.push(...this.edges(state, p, next, 0, false, e, ts));
    return out;
  }

  /** Where a partial match is after stage i took its c-th event: a full stage moves on. */
  private afterTake(i: number, c: number): { stage: number; count: number; ignored: boolean } {
    return c >= this.stages[i]!.max ? { stage: this.after(i), count: 0, ignored: false } : { stage: i, count: c, ignored: false };
  }

  /** The stage after i that takes or forbids the next event: notFollowedBy stages are guards on it, not states. */
  private after(i: number): number {
    let j = i + 1;
    while (j < this.stages.length && this.stages[j]!.kind === "notFollowedBy") j++;
    return j;
  }

  /**
   * True when, after stage i took its c-th event `e`, the rest of the pattern may be
   * skipped (Flink's findFinalStateAfterProceed: proceed conditions see the same event).
   */
  private reachesFinal(state: NfaState<E>, i: number, c: number, e: E, ts: Instant, p: PartialMatch): boolean {
    const st = this.stages[i]!;
    if (c < st.min) return false;
    const ctx = this.context(state, p, ts);
    if (c < st.max && st.greedy && st.condition(e, ctx)) return false;
    for (let j = this.after(i); j < this.stages.length; j = this.after(j)) {
      const s = this.stages[j]!;
      if (s.kind !== "take" || s.min > 0) return false;
      if (s.greedy && s.condition(e, ctx)) return false;
    }
    return true;
  }

  /**
   * Emits complete matches: all at once without a skip strategy; otherwise in the order of
   * their first events, each pruning partial and held matches, and holding back while an
   * open partial match started earlier or with the same event (Flink's
   * processMatchesAccordingToSkipStrategy).
   */
  private emit(state: NfaState<E>, potential: readonly PartialMatch[]): { match: Match<E>; timestamp: Instant }[] {
    const out: { match: Match<E>; timestamp: Instant }[] = [];
    if (this.skip.kind === "noSkip") {
      for (const m of potential) out.push(this.output(state, m));
      return out;
    }
    // A stable sort keeps matches with the same first event in the order they completed.
    state.completed = [...state.completed, ...potential].sort((a, b) => a.ids[0]! - b.ids[0]!);
    for (;;) {
      const next = state.completed[0];
      if (next === undefined) break;
      const earliestOpen = Math.min(...state.partials.map((p) => p.ids[0]!));
      if (next.ids[0]! > earliestOpen) break;
      state.completed.shift();
      out.push(this.output(state, next));
      const prune = pruneTest(
        this.skip,
        next.ids,
        next.stages.map((s) => this.names[s]!),
      );
      if (prune !== undefined) {
        state.partials = state.partials.filter((p) => !prune(p.ids[0]!));
        state.completed = state.completed.filter((p) => !prune(p.ids[0]!));
      }
    }
    return out;
  }

  private output(state: NfaState<E>, m: PartialMatch): { match: Match<E>; timestamp: Instant } {
    const lastId = m.ids[m.ids.length - 1]!;
    return { match: this.materialize(state, m), timestamp: state.events.get(lastId)!.timestamp };
  }

  private materialize(state: NfaState<E>, p: PartialMatch): Match<E> {
    const match: Record<string, E[]> = {};
    p.ids.forEach((id, k) => {
      const name = this.names[p.stages[k]!]!;
      (match[name] ??= []).push(state.events.get(id)!.value);
    });
    return match;
  }

  private context(state: NfaState<E>, p: PartialMatch, ts: Instant): IterativeContext<E> {
    return {
      timestamp: ts,
      eventsFor: (name) => {
        const index = this.names.indexOf(name);
        return p.ids.filter((_, k) => p.stages[k] === index).map((id) => state.events.get(id)!.value);
      },
    };
  }

  /** Drops events no partial or held match refers to: state stays bounded by what is open. */
  private collectGarbage(state: NfaState<E>): void {
    const live = new Set<number>();
    for (const p of state.partials) for (const id of p.ids) live.add(id);
    for (const p of state.completed) for (const id of p.ids) live.add(id);
    for (const id of [...state.events.keys()]) if (!live.has(id)) state.events.delete(id);
  }
}
