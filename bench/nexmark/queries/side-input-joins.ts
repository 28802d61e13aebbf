/**
 * Queries 13 and 14, Beam's BoundedSideInputJoin and SessionSideInputJoin: bids enriched
 * from a bounded side input, the map n → String(n) for n in [0, sideInputRowCount) (Beam's
 * DIRECT side input), looked up by bidder % sideInputRowCount.
 */
import {
  asMap,
  generateSequence,
  groupByKey,
  kv,
  kvCoder,
  map,
  parDo,
  ptransform,
  sessions,
  stringUtf8Coder,
  varIntCoder,
  windowInto,
  type IntervalWindow,
  type KV,
  type PCollection,
  type PCollectionView,
} from "../../../src/index.js";
import { bidCoder } from "../coders.js";
import type { NexmarkConfiguration } from "../config.js";
import type { Bid, Event } from "../model.js";
import { justBids, type QueryFactory } from "./query-util.js";

/** The side input: n → String(n) for n in [0, rows). */
function sideInputMap(events: PCollection<Event>, config: NexmarkConfiguration): PCollectionView<ReadonlyMap<number, string>> {
  const rows = events.pipeline
    .apply("SideInput", generateSequence({ to: config.sideInputRowCount }))
    .apply("ToKV", map((n: number) => kv(n, String(n))))
    .withCoder(kvCoder(varIntCoder, stringUtf8Coder));
  return asMap(rows);
}

/** Beam's instant strings (Joda's Instant.toString()): ISO-8601 UTC with milliseconds. */
export const instantString = (t: number): string => new Date(t).toISOString();

/** Query 13: each bid with its extra replaced by the side input's row for its bidder. */
export const query13: QueryFactory<Bid> = (config) => ({
  name: "BoundedSideInputJoin",
  transform: ptransform("BoundedSideInputJoin", (events: PCollection<Event>) => {
    const side = sideInputMap(events, config);
    return events.apply(justBids()).apply(
      "JoinToFiles",
      parDo<Bid, Bid>(
        {
          process(bid, ctx) {
            ctx.output({ ...bid, extra: ctx.sideInput(side).get(bid.bidder % config.sideInputRowCount)! });
          },
        },
        { sideInputs: [side] },
      ),
    );
  }),
});

/**
 * Query 14: bids grouped into sessions per bidder (gap `sessionGapMs`); each bid's extra
 * becomes the side input's row, the session's start and its end.
 */
export const query14: QueryFactory<Bid> = (config) => ({
  name: "SessionSideInputJoin",
  transform: ptransform("SessionSideInputJoin", (events: PCollection<Event>) => {
    const side = sideInputMap(events, config);
    return events
      .apply(justBids())
      .apply("ByBidder", map((b: Bid) => kv(b.bidder, b)))
      .withCoder(kvCoder(varIntCoder, bidCoder))
      .apply(windowInto(sessions(config.sessionGapMs)))
      .apply(groupByKey<number, Bid>())
      .apply(
        "JoinToFiles",
        parDo<KV<number, Iterable<Bid>>, Bid>(
          {
            process(e, ctx) {
              const w = ctx.window as IntervalWindow;
              const extra = `${ctx.sideInput(side).get(e.key % config.sideInputRowCount)!}:${instantString(w.start)}:${instantString(w.end)}`;
              for (const bid of e.value) ctx.output({ ...bid, extra });
            },
          },
          { sideInputs: [side] },
        ),
      );
  }),
});
