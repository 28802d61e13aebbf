package beamts.peers.nexmark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The events of one generator (a range of event ids) and their event times: a port of
 * bench/nexmark/generator-config.ts, itself Beam's GeneratorConfig.
 */
public final class GeneratorConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final long FIRST_AUCTION_ID = 1000;
  public static final long FIRST_PERSON_ID = 1000;
  public static final long FIRST_CATEGORY_ID = 10;
  public static final int PERSON_PROPORTION = 1;
  public static final int AUCTION_PROPORTION = 3;
  public static final int BID_PROPORTION = 46;
  public static final int PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
  /** 2015-07-15T00:00:00Z. */
  public static final long BASE_TIME = 1_436_918_400_000L;

  final NexmarkConfig configuration;
  final long baseTime;
  final long firstEventId;
  final long maxEvents;
  final long firstEventNumber;
  final long[] interEventDelayUs;
  final long stepLengthSec;
  private final long eventsPerEpoch;
  private final long epochPeriodMs;

  GeneratorConfig(NexmarkConfig configuration, long baseTime, long firstEventId, long maxEvents, long firstEventNumber) {
    this.configuration = configuration;
    this.baseTime = baseTime;
    this.firstEventId = firstEventId;
    this.firstEventNumber = firstEventNumber;
    this.interEventDelayUs = configuration.interEventDelayUs();
    this.stepLengthSec = configuration.stepLengthSec();
    long largest = Math.max(configuration.avgPersonByteSize, Math.max(configuration.avgAuctionByteSize, configuration.avgBidByteSize));
    this.maxEvents = maxEvents == 0 ? Long.MAX_VALUE / (PROPORTION_DENOMINATOR * largest) : maxEvents;
    long perEpoch = 0;
    long periodMs = 0;
    if (interEventDelayUs.length > 1) {
      for (long delay : interEventDelayUs) {
        long events = stepLengthSec * 1_000_000L / delay;
        perEpoch += events;
        periodMs += events * delay / 1000;
      }
    }
    this.eventsPerEpoch = perEpoch;
    this.epochPeriodMs = periodMs;
  }

  /** The config of a whole run: ids from 0, {@code numEvents} events, event time from BASE_TIME. */
  static GeneratorConfig standard(NexmarkConfig configuration) {
    return new GeneratorConfig(configuration, BASE_TIME, 0, configuration.numEvents, 0);
  }

  /** {@code n} generators with about equal shares of the ids, on parallel timelines; the last takes the remainder. */
  List<GeneratorConfig> split(int n) {
    List<GeneratorConfig> configs = new ArrayList<>(n);
    if (n == 1) {
      configs.add(this);
      return configs;
    }
    long subMaxEvents = maxEvents / n;
    long subFirstEventId = firstEventId;
    for (int i = 0; i < n; i++) {
      if (i == n - 1) subMaxEvents = maxEvents - subMaxEvents * (n - 1);
      configs.add(new GeneratorConfig(configuration, baseTime, subFirstEventId, subMaxEvents, firstEventNumber));
      subFirstEventId += subMaxEvents;
    }
    return configs;
  }

  long nextEventNumber(long numEvents) {
    return firstEventNumber + numEvents;
  }

  long nextAdjustedEventNumber(long numEvents) {
    long n = configuration.outOfOrderGroupSize;
    long eventNumber = firstEventNumber + numEvents;
    return (eventNumber / n) * n + (eventNumber * 953) % n;
  }

  /** Event time (ms) of event number {@code eventNumber}. */
  long timestampForEvent(long eventNumber) {
    if (interEventDelayUs.length == 1) return baseTime + eventNumber * interEventDelayUs[0] / 1000;
    long epoch = eventNumber / eventsPerEpoch;
    long n = eventNumber % eventsPerEpoch;
    long offsetInEpochMs = 0;
    for (long delay : interEventDelayUs) {
      long events = stepLengthSec * 1_000_000L / delay;
      if (n < events) return baseTime + epoch * epochPeriodMs + offsetInEpochMs + n * delay / 1000;
      n -= events;
      offsetInEpochMs += events * delay / 1000;
    }
    throw new IllegalStateException("eventsPerEpoch is inconsistent with the delays");
  }

  /** Estimated bytes of {@code numEvents} events, by the average sizes. */
  long estimatedBytesForEvents(long numEvents) {
    return numEvents * PERSON_PROPORTION / PROPORTION_DENOMINATOR * configuration.avgPersonByteSize
        + numEvents * AUCTION_PROPORTION / PROPORTION_DENOMINATOR * configuration.avgAuctionByteSize
        + numEvents * BID_PROPORTION / PROPORTION_DENOMINATOR * configuration.avgBidByteSize;
  }

  @Override
  public String toString() {
    return "GeneratorConfig{firstEventId=" + firstEventId + ", maxEvents=" + maxEvents + ", firstEventNumber=" + firstEventNumber + "}";
  }
}
