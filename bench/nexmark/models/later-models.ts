/** Models of queries 8, 9 and 11–16. */
import { instantString } from "../queries/side-input-joins.js";
import type { Auction, AuctionBid, Bid, BidsPerSession, Event, IdNameReserve, Person } from "../model.js";
import { canonical, sorted, windowString, type QueryModel } from "./model-util.js";
import { winningBidsModel } from "./winning-bids-model.js";

/** Query 8: per fixed window, each auction of a seller who registered in that window. */
export const query8Model: QueryModel<IdNameReserve> = {
  expected(events, config) {
    const size = config.windowSizeSec * 1000;
    const persons = new Map<string, Person>();
    const auctions: { key: string; window: string; auction: Auction }[] = [];
    for (const { event, timestamp } of events) {
      const start = timestamp - (timestamp % size);
      const window = windowString(start, start + size);
      if (event.kind === "person") persons.set(`${window}/${event.newPerson.id}`, event.newPerson);
      else if (event.kind === "auction") auctions.push({ key: `${window}/${event.newAuction.seller}`, window, auction: event.newAuction });
    }
    const out: string[] = [];
    for (const { key, window, auction } of auctions) {
      const p = persons.get(key);
      if (p !== undefined) out.push(`${window} ${canonical({ id: p.id, name: p.name, reserve: auction.reserve })}`);
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => `${o.window} ${canonical(o.value)}`)),
};

/** Query 9: the winning bids, at the end of their auction's window. */
export const query9Model: QueryModel<AuctionBid> = {
  expected: (events) => sorted(winningBidsModel(events).map((w) => `${canonical(w.value)}@${w.timestamp}`)),
  actual: (outputs) => sorted(outputs.map((o) => `${canonical(o.value)}@${o.timestamp}`)),
};

/** Bid timestamps per bidder. */
function bidTimesByBidder(events: Iterable<{ event: Event; timestamp: number }>): Map<number, number[]> {
  const times = new Map<number, number[]>();
  for (const { event, timestamp } of events) {
    if (event.kind !== "bid") continue;
    let list = times.get(event.bid.bidder);
    if (list === undefined) times.set(event.bid.bidder, (list = []));
    list.push(timestamp);
  }
  return times;
}

/** Sessions of sorted times: [start, last + gap) and how many times fall in each. */
function sessionsOf(times: number[], gap: number): { start: number; end: number; count: number }[] {
  const out: { start: number; end: number; count: number }[] = [];
  for (const t of [...times].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last !== undefined && t < last.end) {
      last.end = Math.max(last.end, t + gap);
      last.count++;
    } else out.push({ start: t, end: t + gap, count: 1 });
  }
  return out;
}

/** Query 11: bids per bidder per session (one pane each while sessions stay under maxLogEvents). */
export const query11Model: QueryModel<BidsPerSession> = {
  expected(events, config) {
    const out: string[] = [];
    for (const [bidder, times] of bidTimesByBidder(events)) {
      for (const s of sessionsOf(times, config.windowSizeSec * 1000)) {
        out.push(`${windowString(s.start, s.end)} ${canonical({ personId: bidder, bidsPerSession: s.count })}`);
      }
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => `${o.window} ${canonical(o.value)}`)),
};

/**
 * Query 12: panes depend on processing time, so the model checks that each bidder's
 * counts over all panes add up to their number of bids.
 */
export const query12Model: QueryModel<BidsPerSession> = {
  expected: (events) => sorted([...bidTimesByBidder(events)].map(([bidder, times]) => canonical({ personId: bidder, bidsPerSession: times.length }))),
  actual(outputs) {
    const totals = new Map<number, number>();
    for (const { value } of outputs) totals.set(value.personId, (totals.get(value.personId) ?? 0) + value.bidsPerSession);
    return sorted([...totals].map(([personId, bidsPerSession]) => canonical({ personId, bidsPerSession })));
  },
};

/** Query 13: every bid with extra = String(bidder % sideInputRowCount), at its timestamp. */
export const query13Model: QueryModel<Bid> = {
  expected(events, config) {
    const out: string[] = [];
    for (const { event, timestamp } of events) {
      if (event.kind === "bid") out.push(`${canonical({ ...event.bid, extra: String(event.bid.bidder % config.sideInputRowCount) })}@${timestamp}`);
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => `${canonical(o.value)}@${o.timestamp}`)),
};

/** Query 14: every bid with extra = "row:sessionStart:sessionEnd" of its bidder's session. */
export const query14Model: QueryModel<Bid> = {
  expected(events, config) {
    const bids = new Map<number, { bid: Bid; timestamp: number }[]>();
    for (const { event, timestamp } of events) {
      if (event.kind !== "bid") continue;
      bids.set(event.bid.bidder, [...(bids.get(event.bid.bidder) ?? []), { bid: event.bid, timestamp }]);
    }
    const out: string[] = [];
    for (const [bidder, list] of bids) {
      for (const s of sessionsOf(list.map((b) => b.timestamp), config.sessionGapMs)) {
        const extra = `${bidder % config.sideInputRowCount}:${instantString(s.start)}:${instantString(s.end)}`;
        for (const { bid, timestamp } of list) if (timestamp >= s.start && timestamp < s.end) out.push(canonical({ ...bid, extra }));
      }
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => canonical(o.value))),
};

/** Queries 15 and 16: every event once (15 regroups them, so without timestamps). */
export const query15Model: QueryModel<Event> = {
  expected: (events) => sorted([...events].map((e) => canonical(e.event))),
  actual: (outputs) => sorted(outputs.map((o) => canonical(o.value))),
};
export const query16Model: QueryModel<Event> = {
  expected: (events) => sorted([...events].map((e) => `${canonical(e.event)}@${e.timestamp}`)),
  actual: (outputs) => sorted(outputs.map((o) => `${canonical(o.value)}@${o.timestamp}`)),
};
