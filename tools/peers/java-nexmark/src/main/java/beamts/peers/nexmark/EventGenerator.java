package beamts.peers.nexmark;

import static beamts.peers.nexmark.GeneratorConfig.AUCTION_PROPORTION;
import static beamts.peers.nexmark.GeneratorConfig.FIRST_AUCTION_ID;
import static beamts.peers.nexmark.GeneratorConfig.FIRST_CATEGORY_ID;
import static beamts.peers.nexmark.GeneratorConfig.FIRST_PERSON_ID;
import static beamts.peers.nexmark.GeneratorConfig.PERSON_PROPORTION;
import static beamts.peers.nexmark.GeneratorConfig.PROPORTION_DENOMINATOR;

import beamts.peers.nexmark.Model.Auction;
import beamts.peers.nexmark.Model.Bid;
import beamts.peers.nexmark.Model.Event;
import beamts.peers.nexmark.Model.Person;
import java.util.Random;

/**
 * Draws the Nexmark events: a port of bench/nexmark/{generator,person-generator,
 * auction-generator,bid-generator,random-values}.ts. Each event is drawn from a
 * java.util.Random seeded with its event id, in exactly the order of draws of Beam's
 * generator, so the events are Beam's (and beam-ts's) for the same configuration.
 */
final class EventGenerator {
  private EventGenerator() {}

  /** An event with its event time. */
  record TimestampedEvent(Event event, long timestamp) {}

  private static final int MIN_STRING_LENGTH = 3;
  private static final int PERSON_ID_LEAD = 10;
  private static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] US_CITIES = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"
  };
  private static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
  private static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  private static final int NUM_CATEGORIES = 5;
  private static final int AUCTION_ID_LEAD = 10;
  private static final int HOT_SELLER_RATIO = 100;
  private static final int HOT_AUCTION_RATIO = 100;
  private static final int HOT_BIDDER_RATIO = 100;

  /** The event the generator of {@code config} produces after {@code eventsCountSoFar} events; re-seeds {@code random}. */
  static TimestampedEvent eventAt(GeneratorConfig config, long eventsCountSoFar, Random random) {
    long adjusted = config.nextAdjustedEventNumber(eventsCountSoFar);
    long timestamp = config.timestampForEvent(adjusted);
    long eventId = config.firstEventId + adjusted;
    random.setSeed(eventId);
    long rem = eventId % PROPORTION_DENOMINATOR;
    Event event;
    if (rem < PERSON_PROPORTION) {
      event = Event.of(nextPerson(eventId, random, timestamp, config));
    } else if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
      event = Event.of(nextAuction(eventsCountSoFar, eventId, random, timestamp, config));
    } else {
      event = Event.of(nextBid(eventId, random, timestamp, config));
    }
    return new TimestampedEvent(event, timestamp);
  }

  // ---------------------------------------------------------------- values

  /** A long in [0, n): nextInt(n) when n fits an int, else Beam's skewed |nextLong() % n|. */
  static long nextLong(Random random, long n) {
    if (n < Integer.MAX_VALUE) return random.nextInt((int) n);
    return Math.abs(random.nextLong() % n);
  }

  /** A price in cents, log-uniform between $1 and $1,000,000. */
  static long nextPrice(Random random) {
    return Math.round(Math.pow(10.0, random.nextDouble() * 6.0) * 100.0);
  }

  /** 3 to maxLength - 1 characters, each a space (1 in 13) or a lowercase letter, trimmed. */
  static String nextString(Random random, int maxLength) {
    int len = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
    char[] chars = new char[len];
    for (int i = 0; i < len; i++) {
      chars[i] = random.nextInt(13) == 0 ? ' ' : (char) ('a' + random.nextInt(26));
    }
    return new String(chars).trim();
  }

  /** Exactly {@code length} characters, six from each nextInt() (which may be negative). */
  static String nextExactString(Random random, int length) {
    char[] chars = new char[length];
    int rnd = 0;
    int left = 0;
    for (int i = 0; i < length; i++) {
      if (left == 0) {
        rnd = random.nextInt();
        left = 6;
      }
      chars[i] = (char) ('a' + rnd % 26);
      rnd /= 26;
      left--;
    }
    return new String(chars);
  }

  /** Padding so that a record of {@code currentSize} is on average {@code desiredAverageSize}. */
  static String nextExtra(Random random, int currentSize, int desiredAverageSize) {
    if (currentSize > desiredAverageSize) return "";
    int desired = desiredAverageSize - currentSize;
    int delta = (int) Math.round(desired * 0.2);
    int minSize = desired - delta;
    int size = minSize + (delta == 0 ? 0 : random.nextInt(2 * delta));
    return nextExactString(random, size);
  }

  // ---------------------------------------------------------------- people

  static Person nextPerson(long eventId, Random random, long timestamp, GeneratorConfig config) {
    long id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    String name = FIRST_NAMES[random.nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[random.nextInt(LAST_NAMES.length)];
    String emailAddress = nextString(random, 7) + "@" + nextString(random, 5) + ".com";
    String creditCard = nextCreditCard(random);
    String city = US_CITIES[random.nextInt(US_CITIES.length)];
    String state = US_STATES[random.nextInt(US_STATES.length)];
    int currentSize = 8 + name.length() + emailAddress.length() + creditCard.length() + city.length() + state.length();
    String extra = nextExtra(random, currentSize, config.configuration.avgPersonByteSize);
    return new Person(id, name, emailAddress, creditCard, city, state, timestamp, extra);
  }

  static long nextBase0PersonId(long eventId, Random random, GeneratorConfig config) {
    long numPeople = lastBase0PersonId(eventId) + 1;
    long activePeople = Math.min(numPeople, config.configuration.numActivePeople);
    long n = nextLong(random, activePeople + PERSON_ID_LEAD);
    return numPeople - activePeople + n;
  }

  static long lastBase0PersonId(long eventId) {
    long epoch = eventId / PROPORTION_DENOMINATOR;
    long offset = eventId % PROPORTION_DENOMINATOR;
    if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
    return epoch * PERSON_PROPORTION + offset;
  }

  private static String nextCreditCard(Random random) {
    StringBuilder b = new StringBuilder(19);
    for (int i = 0; i < 4; i++) {
      if (i > 0) b.append(' ');
      int v = random.nextInt(10_000);
      if (v < 1000) b.append('0');
      if (v < 100) b.append('0');
      if (v < 10) b.append('0');
      b.append(v);
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- auctions

  static Auction nextAuction(long eventsCountSoFar, long eventId, Random random, long timestamp, GeneratorConfig config) {
    NexmarkConfig c = config.configuration;
    long id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    long seller;
    if (random.nextInt(c.hotSellersRatio) > 0) {
      seller = (lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else {
      seller = nextBase0PersonId(eventId, random, config);
    }
    seller += FIRST_PERSON_ID;
    long category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
    long initialBid = nextPrice(random);
    long expires = timestamp + nextAuctionLengthMs(eventsCountSoFar, random, timestamp, config);
    String itemName = nextString(random, 20);
    String description = nextString(random, 100);
    long reserve = initialBid + nextPrice(random);
    int currentSize = 8 + itemName.length() + description.length() + 8 + 8 + 8 + 8 + 8;
    String extra = nextExtra(random, currentSize, c.avgAuctionByteSize);
    return new Auction(id, itemName, description, initialBid, reserve, timestamp, expires, seller, category, extra);
  }

  static long lastBase0AuctionId(long eventId) {
    long epoch = eventId / PROPORTION_DENOMINATOR;
    long offset = eventId % PROPORTION_DENOMINATOR;
    if (offset < PERSON_PROPORTION) {
      epoch--;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  static long nextBase0AuctionId(long eventId, Random random, GeneratorConfig config) {
    long maxAuction = lastBase0AuctionId(eventId);
    long minAuction = Math.max(maxAuction - config.configuration.numInFlightAuctions, 0);
    return minAuction + nextLong(random, maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  private static long nextAuctionLengthMs(long eventsCountSoFar, Random random, long timestamp, GeneratorConfig config) {
    long currentEventNumber = config.nextAdjustedEventNumber(eventsCountSoFar);
    long numEventsForAuctions = (long) config.configuration.numInFlightAuctions * PROPORTION_DENOMINATOR / AUCTION_PROPORTION;
    long futureAuction = config.timestampForEvent(currentEventNumber + numEventsForAuctions);
    long horizonMs = futureAuction - timestamp;
    return 1 + nextLong(random, Math.max(horizonMs * 2, 1));
  }

  // ---------------------------------------------------------------- bids

  static Bid nextBid(long eventId, Random random, long timestamp, GeneratorConfig config) {
    NexmarkConfig c = config.configuration;
    long auction;
    if (random.nextInt(c.hotAuctionRatio) > 0) {
      auction = (lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else {
      auction = nextBase0AuctionId(eventId, random, config);
    }
    auction += FIRST_AUCTION_ID;
    long bidder;
    if (random.nextInt(c.hotBiddersRatio) > 0) {
      bidder = (lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else {
      bidder = nextBase0PersonId(eventId, random, config);
    }
    bidder += FIRST_PERSON_ID;
    long price = nextPrice(random);
    String extra = nextExtra(random, 8 + 8 + 8 + 8, c.avgBidByteSize);
    return new Bid(auction, bidder, price, timestamp, extra);
  }
}
