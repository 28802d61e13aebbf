/**
 * Query 3, local item suggestion: who sells in OR, ID or CA in category 10, and which
 * auctions.
 *
 *   SELECT Istream(P.name, P.city, P.state, A.id)
 *   FROM Auction A [ROWS UNBOUNDED], Person P [ROWS UNBOUNDED]
 *   WHERE A.seller = P.id AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA') AND A.category = 10;
 *
 * An auction may arrive before its seller. In streaming the join is Beam's JoinDoFn: per
 * seller id a stateful DoFn keeps the person (to join later auctions at once) and the
 * auctions waiting for their person, and an event-time timer clears both after
 * `maxAuctionsWaitingTime` seconds without activity. In batch it is a CoGroupByKey of the
 * two sides by seller id (as Beam's earlier Query3 grouped them): all of a seller's events
 * are then in one group, so no state is needed.
 */
import {
  StateSpecs,
  TimerSpecs,
  coGroupByKey,
  flattenAll,
  kv,
  kvCoder,
  map,
  parDo,
  ptransform,
  statefulParDo,
  varIntCoder,
  type KV,
  type PCollection,
} from "../../../src/index.js";
import { auctionCoder, eventCoder, personCoder } from "../coders.js";
import { auctionEvent, personEvent, type Auction, type Event, type NameCityStateId, type Person } from "../model.js";
import { justNewAuctions, justNewPersons, type QueryFactory } from "./query-util.js";

const STATES = new Set(["OR", "ID", "CA"]);

const result = (auction: Auction, person: Person): NameCityStateId => ({ name: person.name, city: person.city, state: person.state, id: auction.id });

export const query3: QueryFactory<NameCityStateId> = (config, { streaming }) => ({
  name: "Query3",
  transform: ptransform("Query3", (events: PCollection<Event>) => {
    const auctions = events
      .apply(justNewAuctions())
      .apply(
        "InCategoryBySeller",
        parDo<Auction, KV<number, Auction>>({
          process(a, ctx) {
            if (a.category === 10) ctx.output(kv(a.seller, a));
          },
        }),
      )
      .withCoder(kvCoder(varIntCoder, auctionCoder));
    const persons = events
      .apply(justNewPersons())
      .apply(
        "InStateById",
        parDo<Person, KV<number, Person>>({
          process(p, ctx) {
            if (STATES.has(p.state)) ctx.output(kv(p.id, p));
          },
        }),
      )
      .withCoder(kvCoder(varIntCoder, personCoder));
    return streaming ? joinWithState(auctions, persons, config.maxAuctionsWaitingTime * 1000) : joinByGrouping(auctions, persons);
  }),
});

/** Batch: group both sides by seller id and join each group. */
function joinByGrouping(auctions: PCollection<KV<number, Auction>>, persons: PCollection<KV<number, Person>>): PCollection<NameCityStateId> {
  return coGroupByKey({ auctions, persons }).apply(
    "Join",
    parDo<KV<number, { auctions: Auction[]; persons: Person[] }>, NameCityStateId>({
      process({ value }, ctx) {
        // Ids are unique: at most one person (Beam counts any other as "fatal").
        const person = value.persons[0];
        if (person === undefined) return;
        for (const auction of value.auctions) ctx.output(result(auction, person));
      },
    }),
  );
}

/** Streaming: Beam's JoinDoFn over the flattened sides, with state and a cleanup timer. */
function joinWithState(auctions: PCollection<KV<number, Auction>>, persons: PCollection<KV<number, Person>>, maxWaitMs: number): PCollection<NameCityStateId> {
  const coder = kvCoder(varIntCoder, eventCoder);
  const auctionEvents = auctions.apply("AuctionAsEvent", map((e: KV<number, Auction>) => kv(e.key, auctionEvent(e.value)))).withCoder(coder);
  const personEvents = persons.apply("PersonAsEvent", map((e: KV<number, Person>) => kv(e.key, personEvent(e.value)))).withCoder(coder);
  const both = flattenAll([auctionEvents, personEvents], "Flatten");
  return both.apply(
    "Join",
    statefulParDo({
      state: { person: StateSpecs.value<Person>(), auctions: StateSpecs.bag<Auction>() },
      timers: { stateExpiring: TimerSpecs.timer("EVENT_TIME") },
      process(element: KV<number, Event>, ctx) {
        const existing = ctx.state.person.read();
        const event = element.value;
        let time: number;
        if (event.kind === "person") {
          const person = event.newPerson;
          time = person.dateTime;
          // A second person with the same id is an error Beam only counts.
          if (existing === undefined) {
            ctx.state.person.write(person);
            // The seller is known now: flush the auctions that waited for them.
            for (const pending of ctx.state.auctions.read()) ctx.output(result(pending, person));
            ctx.state.auctions.clear();
          }
        } else if (event.kind === "auction") {
          const auction = event.newAuction;
          time = auction.dateTime;
          if (existing === undefined) ctx.state.auctions.add(auction);
          else ctx.output(result(auction, existing));
        } else {
          return;
        }
        // Set (or move) the cleanup timer.
        ctx.timers.stateExpiring.set(time + maxWaitMs);
      },
      onTimer: {
        stateExpiring(ctx) {
          ctx.state.person.clear();
          ctx.state.auctions.clear();
        },
      },
    }),
  );
}
