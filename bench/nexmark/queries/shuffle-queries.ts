/**
 * Beam's queries 15 (PORTABILITY_BATCH, class Query13) and 16 (RESHUFFLE, class Query14):
 * events spread over `numKeyBuckets` random keys and grouped, then round-tripped through
 * the event coder; and a plain Reshuffle.
 */
import { Metrics, decodeFromBytes, encodeToBytes, flatMap, groupByKey, kv, kvCoder, map, parDo, ptransform, reshuffle, varIntCoder, type KV, type PCollection } from "../../../src/index.js";
import { eventCoder } from "../coders.js";
import type { Event } from "../model.js";
import type { QueryFactory } from "./query-util.js";

export const query15: QueryFactory<Event> = (config) => {
  const bytes = Metrics.counter("Query13", "bytes");
  return {
    name: "PortabilityBatch",
    batchOnly: true,
    transform: ptransform("PortabilityBatch", (events: PCollection<Event>) =>
      events
        .apply("PairWithRandomKey", map((e: Event) => kv(Math.floor(Math.random() * config.numKeyBuckets), e)))
        .withCoder(kvCoder(varIntCoder, eventCoder))
        .apply(groupByKey<number, Event>())
        .apply("ExpandIterable", flatMap((e: KV<number, Iterable<Event>>) => e.value))
        .apply(
          "Serialize",
          parDo<Event, Event>({
            process(e, ctx) {
              const encoded = encodeToBytes(eventCoder, e);
              bytes.inc(encoded.length);
              ctx.output(decodeFromBytes(eventCoder, encoded));
            },
          }),
        ),
    ),
  };
};

export const query16: QueryFactory<Event> = () => ({
  name: "Reshuffle",
  transform: ptransform("Reshuffle", (events: PCollection<Event>) => events.apply(reshuffle<Event>())),
});
