/** New auctions, as Beam's AuctionGenerator draws them (in Beam's order of draws). */
import { intDiv } from "./config.js";
import {
  AUCTION_PROPORTION,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  PERSON_PROPORTION,
  PROPORTION_DENOMINATOR,
  type GeneratorConfig,
} from "./generator-config.js";
import type { JavaRandom } from "./java-random.js";
import type { Auction } from "./model.js";
import { lastBase0PersonId, nextBase0PersonId } from "./person-generator.js";
import { nextExtra, nextLong, nextPrice, nextString } from "./random-values.js";

/** Few categories, so that the queries find results even on small streams. */
const NUM_CATEGORIES = 5;
/** Auction ids a bid may reference ahead of the last auction created. */
const AUCTION_ID_LEAD = 10;
/** Hot sellers are the first person of each batch of this many. */
const HOT_SELLER_RATIO = 100;

/**
 * The auction created by event `eventId`, the generator's `eventsCountSoFar`th event,
 * drawn from `random` (seeded with the id).
 */
export function nextAuction(eventsCountSoFar: number, eventId: number, random: JavaRandom, timestamp: number, config: GeneratorConfig): Auction {
  const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
  let seller: number;
  // P(hot seller) = 1 - 1/hotSellersRatio.
  if (random.nextInt(config.configuration.hotSellersRatio) > 0) {
    seller = intDiv(lastBase0PersonId(eventId), HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
  } else {
    seller = nextBase0PersonId(eventId, random, config);
  }
  seller += FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(random);
  const expires = timestamp + nextAuctionLengthMs(eventsCountSoFar, random, timestamp, config);
  const itemName = nextString(random, 20);
  const description = nextString(random, 100);
  const reserve = initialBid + nextPrice(random);
  const currentSize = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
  const extra = nextExtra(random, currentSize, config.configuration.avgAuctionByteSize);
  return { id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
}

/** The last auction id (base 0) created at or before event `eventId` (-1 before the first). */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = intDiv(eventId, PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    // A person: go back to the last auction of the previous epoch.
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    // A bid: go back to the last auction of this epoch.
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

/**
 * A random auction id (base 0) for event `eventId`: one of those likely still in flight,
 * or one of the next few not created yet.
 */
export function nextBase0AuctionId(eventId: number, random: JavaRandom, config: GeneratorConfig): number {
  const maxAuction = lastBase0AuctionId(eventId);
  const minAuction = Math.max(maxAuction - config.configuration.numInFlightAuctions, 0);
  return minAuction + nextLong(random, maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

/**
 * A random auction length (ms): on average the event time until `numInFlightAuctions`
 * more auctions will have been created.
 */
function nextAuctionLengthMs(eventsCountSoFar: number, random: JavaRandom, timestamp: number, config: GeneratorConfig): number {
  const currentEventNumber = config.nextAdjustedEventNumber(eventsCountSoFar);
  const numEventsForAuctions = intDiv(config.configuration.numInFlightAuctions * PROPORTION_DENOMINATOR, AUCTION_PROPORTION);
  const futureAuction = config.timestampForEvent(currentEventNumber + numEventsForAuctions);
  const horizonMs = futureAuction - timestamp;
  return 1 + nextLong(random, Math.max(horizonMs * 2, 1));
}
