/** Bids, as Beam's BidGenerator draws them (in Beam's order of draws). */
import { intDiv } from "./config.js";
import { FIRST_AUCTION_ID, FIRST_PERSON_ID, type GeneratorConfig } from "./generator-config.js";
import type { JavaRandom } from "./java-random.js";
import { lastBase0AuctionId, nextBase0AuctionId } from "./auction-generator.js";
import type { Bid } from "./model.js";
import { lastBase0PersonId, nextBase0PersonId } from "./person-generator.js";
import { nextExtra, nextPrice } from "./random-values.js";

/** Hot auctions are the first of each batch of this many. */
const HOT_AUCTION_RATIO = 100;
/** Hot bidders are the second person of each batch of this many (hot sellers are the first). */
const HOT_BIDDER_RATIO = 100;

/** The bid made by event `eventId`, drawn from `random` (seeded with the id). */
export function nextBid(eventId: number, random: JavaRandom, timestamp: number, config: GeneratorConfig): Bid {
  const c = config.configuration;
  let auction: number;
  // P(hot auction) = 1 - 1/hotAuctionRatio.
  if (random.nextInt(c.hotAuctionRatio) > 0) {
    auction = intDiv(lastBase0AuctionId(eventId), HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
  } else {
    auction = nextBase0AuctionId(eventId, random, config);
  }
  auction += FIRST_AUCTION_ID;
  let bidder: number;
  // P(hot bidder) = 1 - 1/hotBiddersRatio.
  if (random.nextInt(c.hotBiddersRatio) > 0) {
    bidder = intDiv(lastBase0PersonId(eventId), HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
  } else {
    bidder = nextBase0PersonId(eventId, random, config);
  }
  bidder += FIRST_PERSON_ID;
  const price = nextPrice(random);
  const extra = nextExtra(random, 8 + 8 + 8 + 8, c.avgBidByteSize);
  return { auction, bidder, price, dateTime: timestamp, extra };
}
