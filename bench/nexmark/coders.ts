/**
 * Beam's hand-written Nexmark coders (Person.CODER, Auction.CODER, Bid.CODER, Event.CODER),
 * byte for byte: longs as varints, strings as length-prefixed UTF-8, times as Beam's
 * InstantCoder, and an event as its kind's varint tag followed by the record. Query 0
 * round-trips every event through `eventCoder`, as Beam's does.
 */
import { readInstant, stringUtf8Coder, varIntCoder, writeInstant, type ByteReader, type ByteWriter, type Coder } from "../../src/index.js";
import type { Auction, Bid, Event, Person } from "./model.js";

/** A deterministic custom coder from an encode and a decode function. */
function recordCoder<T>(name: string, encode: (value: T, w: ByteWriter) => void, decode: (r: ByteReader) => T): Coder<T> {
  return {
    urn: `beam-ts:coder:nexmark_${name.toLowerCase()}:v1`,
    components: [],
    deterministic: true,
    encode: (value, writer) => encode(value, writer),
    decode: (reader) => decode(reader),
    toString: () => `Nexmark${name}Coder`,
  };
}

const long = (w: ByteWriter, n: number): void => varIntCoder.encode(n, w, true);
const str = (w: ByteWriter, s: string): void => stringUtf8Coder.encode(s, w, true);
const readLong = (r: ByteReader): number => varIntCoder.decode(r, true);
const readStr = (r: ByteReader): string => stringUtf8Coder.decode(r, true);

/** Beam's Person.CODER. */
export const personCoder: Coder<Person> = recordCoder(
  "Person",
  (p, w) => {
    long(w, p.id);
    str(w, p.name);
    str(w, p.emailAddress);
    str(w, p.creditCard);
    str(w, p.city);
    str(w, p.state);
    writeInstant(w, p.dateTime);
    str(w, p.extra);
  },
  (r) => ({
    id: readLong(r),
    name: readStr(r),
    emailAddress: readStr(r),
    creditCard: readStr(r),
    city: readStr(r),
    state: readStr(r),
    dateTime: readInstant(r),
    extra: readStr(r),
  }),
);

/** Beam's Auction.CODER. */
export const auctionCoder: Coder<Auction> = recordCoder(
  "Auction",
  (a, w) => {
    long(w, a.id);
    str(w, a.itemName);
    str(w, a.description);
    long(w, a.initialBid);
    long(w, a.reserve);
    writeInstant(w, a.dateTime);
    writeInstant(w, a.expires);
    long(w, a.seller);
    long(w, a.category);
    str(w, a.extra);
  },
  (r) => ({
    id: readLong(r),
    itemName: readStr(r),
    description: readStr(r),
    initialBid: readLong(r),
    reserve: readLong(r),
    dateTime: readInstant(r),
    expires: readInstant(r),
    seller: readLong(r),
    category: readLong(r),
    extra: readStr(r),
  }),
);

/** Beam's Bid.CODER. */
export const bidCoder: Coder<Bid> = recordCoder(
  "Bid",
  (b, w) => {
    long(w, b.auction);
    long(w, b.bidder);
    long(w, b.price);
    writeInstant(w, b.dateTime);
    str(w, b.extra);
  },
  (r) => ({ auction: readLong(r), bidder: readLong(r), price: readLong(r), dateTime: readInstant(r), extra: readStr(r) }),
);

/** Beam's Event.CODER: tag 0 person, 1 auction, 2 bid. */
export const eventCoder: Coder<Event> = recordCoder(
  "Event",
  (e, w) => {
    switch (e.kind) {
      case "person":
        long(w, 0);
        return personCoder.encode(e.newPerson, w, true);
      case "auction":
        long(w, 1);
        return auctionCoder.encode(e.newAuction, w, true);
      case "bid":
        long(w, 2);
        return bidCoder.encode(e.bid, w, true);
    }
  },
  (r) => {
    const tag = readLong(r);
    if (tag === 0) return { kind: "person", newPerson: personCoder.decode(r, true) };
    if (tag === 1) return { kind: "auction", newAuction: auctionCoder.decode(r, true) };
    if (tag === 2) return { kind: "bid", bid: bidCoder.decode(r, true) };
    throw new RangeError(`NexmarkEventCoder: invalid event tag ${tag}.`);
  },
);
