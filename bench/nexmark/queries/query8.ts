/**
 * Query 8, monitor new users: the people who created auctions in the same fixed window of
 * `windowSizeSec` in which they registered, with each auction's reserve.
 *
 *   SELECT Rstream(P.id, P.name, A.reserve)
 *   FROM Person [RANGE 12 HOUR] P, Auction [RANGE 12 HOUR] A WHERE P.id = A.seller;
 */
import { coGroupByKey, fixedWindows, kv, kvCoder, parDo, ptransform, varIntCoder, windowInto, type KV, type PCollection } from "../../../src/index.js";
import { auctionCoder, personCoder } from "../coders.js";
import type { Auction, Event, IdNameReserve, Person } from "../model.js";
import { justNewAuctions, justNewPersons, type QueryFactory } from "./query-util.js";

export const query8: QueryFactory<IdNameReserve> = (config) => ({
  name: "Query8",
  transform: ptransform("Query8", (events: PCollection<Event>) => {
    const window = fixedWindows(config.windowSizeSec * 1000);
    const persons = events
      .apply(justNewPersons())
      .apply("WindowPersons", windowInto(window))
      .apply("PersonById", parDo<Person, KV<number, Person>>({ process: (p, ctx) => ctx.output(kv(p.id, p)) }))
      .withCoder(kvCoder(varIntCoder, personCoder));
    const auctions = events
      .apply(justNewAuctions())
      .apply("WindowAuctions", windowInto(window))
      .apply("AuctionBySeller", parDo<Auction, KV<number, Auction>>({ process: (a, ctx) => ctx.output(kv(a.seller, a)) }))
      .withCoder(kvCoder(varIntCoder, auctionCoder));
    return coGroupByKey({ persons, auctions }).apply(
      "Select",
      parDo<KV<number, { persons: Person[]; auctions: Auction[] }>, IdNameReserve>({
        process({ value }, ctx) {
          // No person: they did not register in this window.
          const person = value.persons[0];
          if (person === undefined) return;
          for (const a of value.auctions) ctx.output({ id: person.id, name: person.name, reserve: a.reserve });
        },
      }),
    );
  }),
});
