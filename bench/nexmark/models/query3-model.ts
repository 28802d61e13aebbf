/**
 * Model of query 3 (as Beam's Query3Model): a join in event order of the category-10
 * auctions with their sellers in OR, ID or CA; an auction before its seller waits for
 * them. Results are compared without timestamps (a batch join may see a seller's events
 * in any order).
 */
import type { NameCityStateId } from "../model.js";
import { canonical, sorted, type QueryModel } from "./model-util.js";
import type { Auction, Person } from "../model.js";

const STATES = new Set(["OR", "ID", "CA"]);

export const query3Model: QueryModel<NameCityStateId> = {
  expected(events) {
    const persons = new Map<number, Person>();
    const pending = new Map<number, Auction[]>();
    const out: string[] = [];
    const result = (a: Auction, p: Person) => out.push(canonical({ name: p.name, city: p.city, state: p.state, id: a.id }));
    for (const { event } of events) {
      if (event.kind === "auction" && event.newAuction.category === 10) {
        const person = persons.get(event.newAuction.seller);
        if (person !== undefined) result(event.newAuction, person);
        else pending.set(event.newAuction.seller, [...(pending.get(event.newAuction.seller) ?? []), event.newAuction]);
      } else if (event.kind === "person" && STATES.has(event.newPerson.state)) {
        for (const a of pending.get(event.newPerson.id) ?? []) result(a, event.newPerson);
        pending.delete(event.newPerson.id);
        persons.set(event.newPerson.id, event.newPerson);
      }
    }
    return sorted(out);
  },
  actual: (outputs) => sorted(outputs.map((o) => canonical(o.value))),
};
