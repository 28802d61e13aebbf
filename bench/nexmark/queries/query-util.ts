/** Fragments the Nexmark queries share (Beam's NexmarkQueryUtil). */
import {
  combinePerKey,
  kv,
  kvCoder,
  map,
  parDo,
  ptransform,
  stringUtf8Coder,
  type CombineFn,
  type KV,
  type PCollection,
  type PTransform,
} from "../../../src/index.js";
import type { NexmarkConfiguration } from "../config.js";
import type { Auction, Bid, Event, Person } from "../model.js";

/** A Nexmark query: its name and the transform from events to results. */
export interface NexmarkQuery<T> {
  /** Beam's name, e.g. `Query3`. */
  readonly name: string;
  /** Whether the query needs a bounded input (a GroupByKey in the global window without a trigger). */
  readonly batchOnly?: boolean;
  readonly transform: PTransform<PCollection<Event>, PCollection<T>>;
}

/** How a query is built: from the configuration and whether the run is streaming. */
export type QueryFactory<T> = (config: NexmarkConfiguration, options: { readonly streaming: boolean }) => NexmarkQuery<T>;

/** The bids among the events (Beam's JUST_BIDS). */
export function justBids(): PTransform<PCollection<Event>, PCollection<Bid>> {
  return ptransform("JustBids", (events: PCollection<Event>) =>
    events.apply(
      "AsBid",
      parDo<Event, Bid>({
        process(e, ctx) {
          if (e.kind === "bid") ctx.output(e.bid);
        },
      }),
    ),
  );
}

/** The new auctions among the events (Beam's JUST_NEW_AUCTIONS). */
export function justNewAuctions(): PTransform<PCollection<Event>, PCollection<Auction>> {
  return ptransform("JustNewAuctions", (events: PCollection<Event>) =>
    events.apply(
      "AsAuction",
      parDo<Event, Auction>({
        process(e, ctx) {
          if (e.kind === "auction") ctx.output(e.newAuction);
        },
      }),
    ),
  );
}

/** The new people among the events (Beam's JUST_NEW_PERSONS). */
export function justNewPersons(): PTransform<PCollection<Event>, PCollection<Person>> {
  return ptransform("JustNewPersons", (events: PCollection<Event>) =>
    events.apply(
      "AsPerson",
      parDo<Event, Person>({
        process(e, ctx) {
          if (e.kind === "person") ctx.output(e.newPerson);
        },
      }),
    ),
  );
}

/**
 * Beam's `Combine.globally(fn).withoutDefaults().withFanout(fanout)`: one key for all
 * elements, spread over `fanout` intermediate keys that are pre-combined in parallel.
 */
export function combineGloballyWithFanout<In, Acc, Out>(
  fn: CombineFn<In, Acc, Out>,
  fanout: number,
): PTransform<PCollection<In>, PCollection<Out>> {
  return ptransform("CombineGloballyWithFanout", (input: PCollection<In>) =>
    input
      .apply("KeyByVoid", map((x: In) => kv("", x)))
      .withCoder(kvCoder(stringUtf8Coder, input.coder))
      .apply("Combine", combinePerKey(fn, { hotKeyFanout: fanout }))
      .apply("Values", map((e: KV<string, Out>) => e.value)),
  );
}
