/**
 * What happens to other partial and complete matches once a match is emitted (Flink CEP's
 * AfterMatchSkipStrategy). With any strategy but `noSkip`, matches are emitted in the order
 * of their first events, and a match waits while a partial match that started earlier or
 * with the same event is still open (Flink does the same).
 *
 * - `noSkip`: every match is emitted.
 * - `skipToNext`: discards partial matches that started with the same event as the match.
 * - `skipPastLastEvent`: discards partial matches that started before the match's last event (inclusive).
 * - `skipToFirst(name)`: discards partial matches that started before the first event the stage `name` took.
 * - `skipToLast(name)`: discards partial matches that started before the last event the stage `name` took.
 *
 * @example
 * const strategy: AfterMatchSkipStrategy = AfterMatchSkipStrategy.skipToLast("b");
 */
export type AfterMatchSkipStrategy =
  | { readonly kind: "noSkip" }
  | { readonly kind: "skipToNext" }
  | { readonly kind: "skipPastLastEvent" }
  | { readonly kind: "skipToFirst"; readonly stage: string }
  | { readonly kind: "skipToLast"; readonly stage: string };

/**
 * Builders of AfterMatchSkipStrategy values, with Flink's names.
 *
 * @example
 * detectPattern(pattern, { afterMatchSkip: AfterMatchSkipStrategy.skipPastLastEvent() });
 */
export const AfterMatchSkipStrategy = {
  noSkip: (): AfterMatchSkipStrategy => ({ kind: "noSkip" }),
  skipToNext: (): AfterMatchSkipStrategy => ({ kind: "skipToNext" }),
  skipPastLastEvent: (): AfterMatchSkipStrategy => ({ kind: "skipPastLastEvent" }),
  skipToFirst: (stage: string): AfterMatchSkipStrategy => ({ kind: "skipToFirst", stage }),
  skipToLast: (stage: string): AfterMatchSkipStrategy => ({ kind: "skipToLast", stage }),
} as const;

/**
 * The event id partial matches are pruned against once a match with these taken events
 * (ids in processing order, with the stage of each) is emitted, and whether a partial match
 * starting at `start` is pruned. Undefined: nothing is pruned (noSkip, or the stage took nothing).
 *
 * @example
 * pruneTest(AfterMatchSkipStrategy.skipPastLastEvent(), [3, 5], ["a", "b"])!(5); // true
 */
export function pruneTest(
  strategy: AfterMatchSkipStrategy,
  ids: readonly number[],
  stageNames: readonly string[],
): ((start: number) => boolean) | undefined {
  switch (strategy.kind) {
    case "noSkip":
      return undefined;
    case "skipToNext": {
      const first = Math.min(...ids);
      return (start) => start <= first;
    }
    case "skipPastLastEvent": {
      const last = Math.max(...ids);
      return (start) => start <= last;
    }
    case "skipToFirst":
    case "skipToLast": {
      const own = ids.filter((_, i) => stageNames[i] === strategy.stage);
      if (own.length === 0) return undefined;
      const at = strategy.kind === "skipToFirst" ? Math.min(...own) : Math.max(...own);
      // Strictly before: a match may start at the event skipped to (Flink's SkipToElementStrategy).
      return (start) => start < at;
    }
  }
}
