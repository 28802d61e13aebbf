/**
 * A brute-force reference for detectPattern (noSkip, patterns without negations): it
 * enumerates every assignment of a key's events (in (timestamp, arrival) order) to the
 * pattern's stages and keeps those that Flink CEP's rules allow, written from the rules
 * rather than from the NFA:
 *
 * - stages are visited in order; a stage takes between min and max events;
 * - an event skipped between two events of the same stage must be allowed by the stage's
 *   inner contiguity (strict: none; relaxed: only events failing its condition; any: all),
 *   and must not meet its until condition, which ends the loop instead;
 * - moving on from a stage (when it has not taken max events) needs its minimum, and a
 *   greedy stage moves on only at an event it does not match; the stages in between must
 *   be optional (and greedy ones must not match that event either); the events skipped
 *   before the next stage's first event must be allowed by that stage's contiguity, and
 *   the move happens at the first of them;
 * - the match completes at its last event if every later stage is optional;
 * - its last event is less than `within` after its first.
 */
import type { Pattern, Stage } from "../../src/cep/index.js";

/** One event of a key, in processing order. */
export interface RefEvent<E> {
  readonly value: E;
  readonly timestamp: number;
}

/** A match as (stage index, event index) pairs. */
type Taken = readonly (readonly [number, number])[];

/** Every match of `pattern` in `events` as { match, timestamp } with the match as stage name -> values. */
export function bruteForceMatches<E>(pattern: Pattern<E>, events: readonly RefEvent<E>[]): { match: Record<string, E[]>; timestamp: number }[] {
  const stages = pattern.stages;
  const n = stages.length;
  const out: { match: Record<string, E[]>; timestamp: number }[] = [];

  const ctxOf = (taken: Taken, timestamp: number) => ({
    timestamp,
    eventsFor: (name: string) => taken.filter(([s]) => stages[s]!.name === name).map(([, i]) => events[i]!.value),
  });
  const cond = (s: Stage<E>, taken: Taken, i: number): boolean => s.condition(events[i]!.value, ctxOf(taken, events[i]!.timestamp));
  const until = (s: Stage<E>, taken: Taken, i: number): boolean =>
    s.until !== undefined && s.until(events[i]!.value, ctxOf(taken, events[i]!.timestamp));
  const count = (taken: Taken, s: number): number => taken.filter(([t]) => t === s).length;

  const emitIfComplete = (taken: Taken): void => {
    const [s, i] = taken[taken.length - 1]!;
    const st = stages[s]!;
    const c = count(taken, s);
    if (c < st.min) return;
    if (c < st.max && st.greedy && cond(st, taken, i)) return;
    for (let t = s + 1; t < n; t++) {
      if (stages[t]!.min > 0) return;
      if (stages[t]!.greedy && cond(stages[t]!, taken, i)) return;
    }
    const first = events[taken[0]![1]]!.timestamp;
    const last = events[i]!.timestamp;
    if (pattern.windowTime !== undefined && last - first >= pattern.windowTime) return;
    const match: Record<string, E[]> = {};
    for (const [t, k] of taken) (match[stages[t]!.name] ??= []).push(events[k]!.value);
    out.push({ match, timestamp: last });
  };

  const extend = (taken: Taken): void => {
    emitIfComplete(taken);
    const [s, i] = taken[taken.length - 1]!;
    const st = stages[s]!;
    const c = count(taken, s);
    for (let j = i + 1; j < events.length; j++) {
      const skipped = Array.from({ length: j - i - 1 }, (_, k) => i + 1 + k);
      // The same stage again.
      if (c < st.max && cond(st, taken, j) && !until(st, taken, j)) {
        const ok = skipped.every((x) =>
          st.inner === "strict" ? false : !until(st, taken, x) && (st.inner === "nonDeterministicRelaxed" || !cond(st, taken, x)),
        );
        if (ok) extend([...taken, [s, j]]);
      }
      // A later stage t.
      for (let t = s + 1; t < n; t++) {
        const target = stages[t]!;
        if (!cond(target, taken, j)) continue;
        // Where the move happens: at the first skipped event, or at j.
        const at = skipped.length > 0 ? skipped[0]! : j;
        let ok = true;
        let firstWaiting = s + 1;
        if (c < st.max) {
          // Moving on from stage s by a proceed.
          if (c < st.min) ok = false;
          if (st.greedy && cond(st, taken, at) && !(c > 0 && until(st, taken, at))) ok = false;
        } else if (c < st.min) {
          ok = false;
        }
        for (let m = firstWaiting; m < t; m++) {
          if (stages[m]!.min > 0) ok = false;
          if (stages[m]!.greedy && cond(stages[m]!, taken, at)) ok = false;
        }
        firstWaiting = t;
        for (const x of skipped) {
          if (target.contiguity === "strict") ok = false;
          else if (target.contiguity === "relaxed" && cond(target, taken, x)) ok = false;
        }
        if (ok) extend([...taken, [t, j]]);
      }
    }
  };

  for (let i = 0; i < events.length; i++) {
    // A match starts at the event it first takes, in the first stage or after optional ones.
    for (let t = 0; t < n; t++) {
      if (cond(stages[t]!, [], i)) {
        let ok = true;
        for (let m = 0; m < t; m++) {
          if (stages[m]!.min > 0) ok = false;
          if (stages[m]!.greedy && cond(stages[m]!, [], i)) ok = false;
        }
        if (ok) extend([[t, i]]);
      }
      if (stages[t]!.min > 0) break;
    }
  }
  return out;
}
