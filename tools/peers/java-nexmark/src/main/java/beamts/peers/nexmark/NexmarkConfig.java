package beamts.peers.nexmark;

import java.io.Serializable;

/**
 * The Nexmark configuration knobs that shape the events and queries 0-9, with Beam's
 * defaults (a port of bench/nexmark/config.ts). Mutable fields, set from the command line.
 */
public final class NexmarkConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum RateShape { SQUARE, SINE }

  public enum RateUnit {
    PER_SECOND(1_000_000L),
    PER_MINUTE(60_000_000L);

    final long usPerUnit;

    RateUnit(long usPerUnit) {
      this.usPerUnit = usPerUnit;
    }
  }

  /** Steps used to approximate a sine wave. */
  private static final int SINE_STEPS = 10;

  public long numEvents = 100_000;
  public int numEventGenerators = 100;
  public RateShape rateShape = RateShape.SINE;
  public int firstEventRate = 10_000;
  public int nextEventRate = 10_000;
  public RateUnit rateUnit = RateUnit.PER_SECOND;
  public int ratePeriodSec = 600;
  public int avgPersonByteSize = 200;
  public int avgAuctionByteSize = 500;
  public int avgBidByteSize = 100;
  public int hotAuctionRatio = 2;
  public int hotSellersRatio = 4;
  public int hotBiddersRatio = 4;
  /** Window size, in seconds, for queries 4, 5, 7 and 8. */
  public long windowSizeSec = 10;
  /** Sliding window period, in seconds, for queries 4 and 5. */
  public long windowPeriodSec = 5;
  /** Fanout of the combines in queries 4, 5 and 7. */
  public int fanout = 5;
  public int numInFlightAuctions = 100;
  public int numActivePeople = 1000;
  public int auctionSkip = 123;
  public int outOfOrderGroupSize = 1;

  /** Microseconds between events at {@code rate} per {@code unit}, rounded to nearest. */
  static long rateToPeriodUs(RateUnit unit, long rate) {
    return (unit.usPerUnit + rate / 2) / rate;
  }

  /** Inter-event delays (µs) of each of {@code numGenerators} generators; one if the rates are equal. */
  long[] interEventDelayUs() {
    long n = numEventGenerators;
    if (firstEventRate == nextEventRate) return new long[] {rateToPeriodUs(rateUnit, firstEventRate) * n};
    if (rateShape == RateShape.SQUARE) {
      return new long[] {rateToPeriodUs(rateUnit, firstEventRate) * n, rateToPeriodUs(rateUnit, nextEventRate) * n};
    }
    double mid = (firstEventRate + nextEventRate) / 2.0;
    double amp = (firstEventRate - nextEventRate) / 2.0;
    long[] delays = new long[SINE_STEPS];
    for (int i = 0; i < SINE_STEPS; i++) {
      double rate = mid + amp * Math.cos(2.0 * Math.PI * i / SINE_STEPS);
      delays[i] = rateToPeriodUs(rateUnit, Math.round(rate)) * n;
    }
    return delays;
  }

  /** Seconds per step of the rate shape (rounded up). */
  long stepLengthSec() {
    int n = rateShape == RateShape.SQUARE ? 2 : SINE_STEPS;
    return (ratePeriodSec + n - 1) / n;
  }
}
