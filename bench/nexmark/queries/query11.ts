/**
 * Query "11", user sessions: the number of bids of each bidder per session (gap
 * `windowSizeSec`), a pane at most every `maxLogEvents` bids.
 */
import { Triggers, countPerElement, map, ptransform, sessions, windowInto, type KV, type PCollection } from "../../../src/index.js";
import { intDiv } from "../config.js";
import type { Bid, BidsPerSession, Event } from "../model.js";
import { justBids, type QueryFactory } from "./query-util.js";

export const query11: QueryFactory<BidsPerSession> = (config) => ({
  name: "Query11",
  transform: ptransform("Query11", (events: PCollection<Event>) =>
    events
      .apply(justBids())
      .apply("Rekey", map((b: Bid) => b.bidder))
      .apply(
        windowInto(sessions(config.windowSizeSec * 1000), {
          trigger: Triggers.repeatedly(Triggers.afterCount(config.maxLogEvents)),
          accumulationMode: "DISCARDING",
          // Beam: Duration.standardSeconds(occasionalDelaySec / 2), a long division.
          allowedLateness: intDiv(config.occasionalDelaySec, 2) * 1000,
        }),
      )
      .apply(countPerElement<number>())
      .apply("ToResult", map((e: KV<number, number>): BidsPerSession => ({ personId: e.key, bidsPerSession: e.value }))),
  ),
});
