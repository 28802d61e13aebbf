/**
 * Query 0, pass-through: every event unchanged, but forced through a round trip of Beam's
 * event coder, so the run measures the cost of the coder (as Beam's Query0).
 */
import { Metrics, decodeFromBytes, encodeToBytes, parDo } from "../../../src/index.js";
import { eventCoder } from "../coders.js";
import type { Event } from "../model.js";
import type { QueryFactory } from "./query-util.js";

export const query0: QueryFactory<Event> = () => {
  const bytes = Metrics.counter("Query0", "bytes");
  return {
    name: "Query0",
    transform: parDo<Event, Event>({
      process(e, ctx) {
        const encoded = encodeToBytes(eventCoder, e);
        bytes.inc(encoded.length);
        ctx.output(decodeFromBytes(eventCoder, encoded));
      },
    }),
  };
};
