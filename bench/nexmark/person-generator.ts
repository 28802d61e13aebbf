/**
 * New people, as Beam's PersonGenerator draws them: the draws happen in exactly Beam's
 * order, since every later field depends on the ones drawn before.
 */
import type { JavaRandom } from "./java-random.js";
import { FIRST_PERSON_ID, PERSON_PROPORTION, PROPORTION_DENOMINATOR, type GeneratorConfig } from "./generator-config.js";
import { intDiv } from "./config.js";
import type { Person } from "./model.js";
import { nextCreditCard, nextExtra, nextLong, nextString } from "./random-values.js";

/** People ids a bid or auction may reference ahead of the last person created. */
const PERSON_ID_LEAD = 10;

/** Few states, so that the queries find results even on small streams. */
const US_STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
const FIRST_NAMES = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
const LAST_NAMES = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];

/** The person created by event `eventId`, drawn from `random` (seeded with the id). */
export function nextPerson(eventId: number, random: JavaRandom, timestamp: number, config: GeneratorConfig): Person {
  const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
  const name = `${FIRST_NAMES[random.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[random.nextInt(LAST_NAMES.length)]}`;
  const emailAddress = `${nextString(random, 7)}@${nextString(random, 5)}.com`;
  const creditCard = nextCreditCard(random);
  const city = US_CITIES[random.nextInt(US_CITIES.length)]!;
  const state = US_STATES[random.nextInt(US_STATES.length)]!;
  const currentSize = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(random, currentSize, config.configuration.avgPersonByteSize);
  return { id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
}

/**
 * A random person id (base 0) for event `eventId`: one of the last `numActivePeople`
 * people, or one of the next few not created yet (so a bid or auction may arrive before
 * its person).
 */
export function nextBase0PersonId(eventId: number, random: JavaRandom, config: GeneratorConfig): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const activePeople = Math.min(numPeople, config.configuration.numActivePeople);
  const n = nextLong(random, activePeople + PERSON_ID_LEAD);
  return numPeople - activePeople + n;
}

/** The last person id (base 0) created at or before event `eventId`. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = intDiv(eventId, PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  // An auction or bid: go back to the last person of this epoch.
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}
