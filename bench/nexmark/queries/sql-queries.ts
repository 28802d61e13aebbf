/**
 * Beam's Nexmark SQL queries (org.apache.beam.sdk.nexmark.queries.sql: SqlQuery0, 1, 2, 3,
 * 5, 7) as `sql(...)` pipelines over the same events as the hand-written queries, with
 * Beam's query texts. Events become schema rows with `withSchema` alone: the Nexmark records
 * already hold the fields by name. Ids, prices and categories are INTEGER (JS numbers: every
 * Nexmark value fits in 32 bits) where Beam declares BIGINT, so no value is converted to a
 * bigint on the way in; COUNT is BIGINT and is converted back, as Beam's Convert.fromRows.
 *
 * Differences from the hand-written queries, as in Beam: SqlQuery3 joins in the global
 * window (Beam's windows into fixed windows, which it notes does not match Query3; a join
 * of all auctions with all people gives Query3's results for a bounded input), and
 * SqlQuery7's results carry their window's end as timestamp, not the bid's.
 */
import { map, ptransform, schema, scalarUdf, sql, t, type PCollection, type SqlRow } from "../../../src/index.js";
import { intDiv } from "../config.js";
import type { Event } from "../model.js";
import { justBids, justNewAuctions, justNewPersons, type QueryFactory } from "./query-util.js";

const BidSchema = schema({ auction: t.int32(), bidder: t.int32(), price: t.int32(), dateTime: t.timestamp(), extra: t.string() }, { name: "Bid" });
const AuctionSchema = schema(
  {
    id: t.int32(),
    itemName: t.string(),
    description: t.string(),
    initialBid: t.int32(),
    reserve: t.int32(),
    dateTime: t.timestamp(),
    expires: t.timestamp(),
    seller: t.int32(),
    category: t.int32(),
    extra: t.string(),
  },
  { name: "Auction" },
);
const PersonSchema = schema(
  { id: t.int32(), name: t.string(), emailAddress: t.string(), creditCard: t.string(), city: t.string(), state: t.string(), dateTime: t.timestamp(), extra: t.string() },
  { name: "Person" },
);

/** Beam's SqlQuery1.DolToEur: dollars to euros in integer cents. */
const dolToEur = scalarUdf({ args: ["INTEGER"], returns: "INTEGER", call: (price) => intDiv(price * 89, 100) });

/** The rows as plain records, BIGINT columns as numbers (Beam's Convert.fromRows). */
function fromRows<T>(): (rows: PCollection<SqlRow>) => PCollection<T> {
  return (rows) =>
    rows.apply(
      "FromRows",
      map((r: SqlRow): T => {
        const out: Record<string, unknown> = {};
        for (const k in r) {
          const v = r[k];
          out[k] = typeof v === "bigint" ? Number(v) : v;
        }
        return out as T;
      }),
    );
}

const bidRows = (events: PCollection<Event>) => events.apply(justBids()).withSchema(BidSchema);

/** SqlQuery0: every bid through SQL unchanged. */
export const sqlQuery0: QueryFactory<unknown> = () => ({
  name: "SqlQuery0",
  transform: ptransform("SqlQuery0", (events: PCollection<Event>) => bidRows(events).apply(sql("SELECT * FROM PCOLLECTION"))),
});

/** SqlQuery1: every bid in euros, with Beam's DolToEur user function. */
export const sqlQuery1: QueryFactory<unknown> = () => ({
  name: "SqlQuery1",
  transform: ptransform("SqlQuery1", (events: PCollection<Event>) =>
    bidRows(events).apply(sql("SELECT auction, bidder, DolToEur(price) as price, dateTime, extra FROM PCOLLECTION").registerUdf("DolToEur", dolToEur)),
  ),
});

/** SqlQuery2: the auction and price of the bids on every `auctionSkip`th auction. */
export const sqlQuery2: QueryFactory<unknown> = (config) => ({
  name: "SqlQuery2",
  transform: ptransform("SqlQuery2", (events: PCollection<Event>) =>
    bidRows(events).apply(sql(`SELECT auction, price FROM PCOLLECTION WHERE MOD(auction, ${config.auctionSkip}) = 0`)),
  ),
});

/** SqlQuery3: sellers in OR, ID or CA of category-10 auctions (a join of two inputs). */
export const sqlQuery3: QueryFactory<unknown> = () => ({
  name: "SqlQuery3",
  // A join in the global window fires once, at the end of a bounded input.
  batchOnly: true,
  transform: ptransform("SqlQuery3", (events: PCollection<Event>) => {
    const Auction = events.apply(justNewAuctions()).withSchema(AuctionSchema);
    const Person = events.apply(justNewPersons()).withSchema(PersonSchema);
    return sql(
      "SELECT P.name, P.city, P.state, A.id FROM Auction A INNER JOIN Person P on A.seller = P.id WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')",
      { Auction, Person },
    );
  }),
});

/** SqlQuery5: per sliding window, the auctions with the most bids (windowed aggregates joined on their window start). */
export const sqlQuery5: QueryFactory<unknown> = (config) => {
  const hop = (alias: string) => `${alias}.dateTime, INTERVAL '${config.windowPeriodSec}' SECOND, INTERVAL '${config.windowSizeSec}' SECOND`;
  const query = [
    "SELECT AuctionBids.auction, AuctionBids.num",
    " FROM (",
    `   SELECT B1.auction, count(*) AS num, HOP_START(${hop("B1")}) AS starttime`,
    `   FROM Bid B1 GROUP BY B1.auction, HOP(${hop("B1")})`,
    " ) AS AuctionBids",
    " JOIN (",
    "   SELECT max(CountBids.num) AS maxnum, CountBids.starttime",
    "   FROM (",
    `     SELECT count(*) AS num, HOP_START(${hop("B2")}) AS starttime`,
    `     FROM Bid B2 GROUP BY B2.auction, HOP(${hop("B2")})`,
    "   ) AS CountBids",
    "   GROUP BY CountBids.starttime",
    " ) AS MaxBids",
    " ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.num >= MaxBids.maxnum",
  ].join("\n");
  return {
    name: "SqlQuery5",
    // The per-window maximum is one row per window: broadcast it as a side input instead of shuffling every count.
    transform: ptransform("SqlQuery5", (events: PCollection<Event>) => fromRows<unknown>()(sql(query, { Bid: bidRows(events) }, { sideInputJoins: ["MaxBids"] }))),
  };
};

/** SqlQuery7: per fixed window, the bids at the window's highest price. */
export const sqlQuery7: QueryFactory<unknown> = (config) => {
  const size = `INTERVAL '${config.windowSizeSec}' SECOND`;
  const query =
    " SELECT B.auction, B.price, B.bidder, B.`dateTime`, B.extra" +
    "    FROM (SELECT B.auction, B.price, B.bidder, B.`dateTime`, B.extra," +
    `       TUMBLE_START(B.\`dateTime\`, ${size}) AS starttime` +
    "    FROM Bid B" +
    "    GROUP BY B.auction, B.price, B.bidder, B.`dateTime`, B.extra," +
    `       TUMBLE(B.\`dateTime\`, ${size})) B` +
    " JOIN (SELECT MAX(B1.price) AS maxprice," +
    `       TUMBLE_START(B1.\`dateTime\`, ${size}) AS starttime` +
    "    FROM Bid B1" +
    `    GROUP BY TUMBLE(B1.\`dateTime\`, ${size})) B1` +
    " ON B.starttime = B1.starttime AND B.price = B1.maxprice";
  return {
    name: "SqlQuery7",
    // The per-window maximum price is one row per window: a side input, so the bids are never shuffled for the join.
    transform: ptransform("SqlQuery7", (events: PCollection<Event>) => sql(query, { Bid: bidRows(events) }, { sideInputJoins: ["B1"] })),
  };
};

/** The SQL queries by the number of the query they implement. */
export const SQL_QUERIES: Readonly<Record<number, QueryFactory<unknown>>> = { 0: sqlQuery0, 1: sqlQuery1, 2: sqlQuery2, 3: sqlQuery3, 5: sqlQuery5, 7: sqlQuery7 };
