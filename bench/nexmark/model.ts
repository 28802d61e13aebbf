/**
 * The Nexmark data model (Beam's org.apache.beam.sdk.nexmark.model), with Beam's field
 * names: the three kinds of event and the result records of the queries. Times are
 * milliseconds since the epoch; ids and prices (in cents) are safe integers.
 */

/** A person either creating an auction or making a bid. */
export interface Person {
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  /** Padding up to the configured average size. */
  readonly extra: string;
}

/** An auction submitted by a person. */
export interface Auction {
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  /** Initial bid price, in cents. */
  readonly initialBid: number;
  /** Reserve price, in cents. */
  readonly reserve: number;
  readonly dateTime: number;
  /** When the auction expires; bids at or after it are ignored. */
  readonly expires: number;
  /** Id of the person who started the auction. */
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

/** A bid for an item on auction. */
export interface Bid {
  readonly auction: number;
  readonly bidder: number;
  /** In cents. */
  readonly price: number;
  readonly dateTime: number;
  readonly extra: string;
}

/**
 * An event: a new person, a new auction or a bid. Beam's Event has three nullable fields;
 * here `kind` says which one is set, and only that one exists.
 */
export type Event =
  | { readonly kind: "person"; readonly newPerson: Person }
  | { readonly kind: "auction"; readonly newAuction: Auction }
  | { readonly kind: "bid"; readonly bid: Bid };

export const personEvent = (newPerson: Person): Event => ({ kind: "person", newPerson });
export const auctionEvent = (newAuction: Auction): Event => ({ kind: "auction", newAuction });
export const bidEvent = (bid: Bid): Event => ({ kind: "bid", bid });

/** The event time an event carries in its data. */
export function eventTime(e: Event): number {
  switch (e.kind) {
    case "person":
      return e.newPerson.dateTime;
    case "auction":
      return e.newAuction.dateTime;
    case "bid":
      return e.bid.dateTime;
  }
}

/**
 * A copy of `e` carrying `annotation` (Beam's Event.withAnnotation): the annotation and ": "
 * are put in front of the record's `extra`. Beam's rate-limited source marks the events it
 * holds back with "LATE".
 */
export function withAnnotation(e: Event, annotation: string): Event {
  const extra = (x: string): string => `${annotation}: ${x}`;
  switch (e.kind) {
    case "person":
      return personEvent({ ...e.newPerson, extra: extra(e.newPerson.extra) });
    case "auction":
      return auctionEvent({ ...e.newAuction, extra: extra(e.newAuction.extra) });
    case "bid":
      return bidEvent({ ...e.bid, extra: extra(e.bid.extra) });
  }
}

/** Whether `e` carries `annotation` (Beam's Event.hasAnnotation). */
export function hasAnnotation(e: Event, annotation: string): boolean {
  const extra = e.kind === "person" ? e.newPerson.extra : e.kind === "auction" ? e.newAuction.extra : e.bid.extra;
  return extra.startsWith(`${annotation}: `);
}

/** An event with the timestamp the source gives it. */
export interface TimestampedEvent {
  readonly event: Event;
  readonly timestamp: number;
}

/** Result of query 2. */
export interface AuctionPrice {
  readonly auction: number;
  readonly price: number;
}

/** Result of query 3. */
export interface NameCityStateId {
  readonly name: string;
  readonly city: string;
  readonly state: string;
  readonly id: number;
}

/** Result of query 4: the average winning price of a category (rounded); `isLast` marks a final pane. */
export interface CategoryPrice {
  readonly category: number;
  readonly price: number;
  readonly isLast: boolean;
}

/** A closed auction with its winning bid (WinningBids, queries 4, 6 and 9). */
export interface AuctionBid {
  readonly auction: Auction;
  readonly bid: Bid;
}

/** Result of query 5: an auction and its number of bids. */
export interface AuctionCount {
  readonly auction: number;
  readonly num: number;
}

/** Result of query 6: a seller's average selling price (rounded). */
export interface SellerPrice {
  readonly seller: number;
  readonly price: number;
}

/** Result of query 8. */
export interface IdNameReserve {
  readonly id: number;
  readonly name: string;
  readonly reserve: number;
}

/** Result of queries 11 and 12: a bidder and their number of bids in a session or pane. */
export interface BidsPerSession {
  readonly personId: number;
  readonly bidsPerSession: number;
}

/** Result of query 10: one per window whose log files were all written and indexed (Beam's Done). */
export interface Done {
  readonly message: string;
}
