import type { Coder, KV } from "../model/index.js";
import { ConstructionError } from "../model/index.js";
import { kvCoder } from "../coders/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { kvComponents, statefulParDo, type TaggedOutputs } from "../transforms/index.js";
import { AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
import { matchCoder, timedOutMatchCoder } from "./cep-coders.js";
import { matcherFn, type MatcherState, type MatcherTags, type MatcherTimers } from "./matcher-fn.js";
import type { Match, TimedOutMatch } from "./nfa.js";
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
    const out = input.apply("Match", statefulParDo<K, E, KV<K, Match<E>>, MatcherState<E>, MatcherTimers, MatcherTags<K, E>>(matcherFn<K, E>(this.pattern, this.skip, eventCoder), {
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
