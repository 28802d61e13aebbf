/**
 * Query "12", processing-time windows: the number of bids of each bidder per pane of a
 * processing-time trigger firing `windowSizeSec` after a pane's first bid.
 */
import { Durations, Triggers, countPerElement, globalWindows, map, ptransform, windowInto, type KV, type PCollection } from "../../../src/index.js";
import type { Bid, BidsPerSession, Event } from "../model.js";
import { justBids, type QueryFactory } from "./query-util.js";

export const query12: QueryFactory<BidsPerSession> = (config) => ({
  name: "Query12",
  transform: ptransform("Query12", (events: PCollection<Event>) =>
    events
      .apply(justBids())
      .apply("Rekey", map((b: Bid) => b.bidder))
      .apply(
        windowInto(globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterProcessingTime(Durations.seconds(config.windowSizeSec))),
          accumulationMode: "DISCARDING",
          allowedLateness: 0,
        }),
      )
      .apply(countPerElement<number>())
      .apply("ToResult", map((e: KV<number, number>): BidsPerSession => ({ personId: e.key, bidsPerSession: e.value }))),
  ),
});
