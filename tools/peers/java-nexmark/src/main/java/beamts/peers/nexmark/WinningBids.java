package beamts.peers.nexmark;

import static beamts.peers.nexmark.GeneratorConfig.AUCTION_PROPORTION;
import static beamts.peers.nexmark.GeneratorConfig.PROPORTION_DENOMINATOR;

import beamts.peers.nexmark.Model.Auction;
import beamts.peers.nexmark.Model.AuctionBid;
import beamts.peers.nexmark.Model.Bid;
import beamts.peers.nexmark.Model.Event;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Beam's WinningBids, as bench/nexmark/queries/winning-bids.ts implements it: the winning bid
 * of each closed auction, found with a custom merging WindowFn instead of global state.
 *
 * <p>An auction gets the window [its time, its expiry); a bid gets a provisional window [its
 * time, its time + twice the expected auction length). Per auction id, the bid windows that
 * start before the auction's window ends merge into it, so when the watermark passes the expiry
 * the auction and its valid bids are grouped together. Bid windows that never merge (too late,
 * or no such auction) expire on their own and yield nothing. The winner is the highest bid at or
 * above the reserve, the earliest of equal ones. The input holds auction and bid events only.
 */
final class WinningBids extends PTransform<PCollection<Event>, PCollection<AuctionBid>> {
  private static final long serialVersionUID = 1L;

  private final long expectedAuctionDurationMs;

  WinningBids(NexmarkConfig config) {
    super("WinningBids");
    this.expectedAuctionDurationMs = expectedAuctionDurationMs(config);
  }

  /**
   * The expected length of an auction (ms) at the lowest event rate: the time for
   * {@code numInFlightAuctions} auctions to be created (Beam's WinningBids constructor).
   */
  static long expectedAuctionDurationMs(NexmarkConfig config) {
    long longestDelayUs = 0;
    for (long delay : config.interEventDelayUs()) longestDelayUs = Math.max(longestDelayUs, delay);
    longestDelayUs = longestDelayUs * PROPORTION_DENOMINATOR / AUCTION_PROPORTION;
    longestDelayUs *= config.numInFlightAuctions;
    return (longestDelayUs + 999) / 1000;
  }

  @Override
  public PCollection<AuctionBid> expand(PCollection<Event> events) {
    return winningBids(events, expectedAuctionDurationMs);
  }

  /** The expansion; static, so that its DoFns do not capture the transform. */
  private static PCollection<AuctionBid> winningBids(PCollection<Event> events, long expectedAuctionDurationMs) {
    PCollection<Event> windowed = events.apply("Window", Window.into(new AuctionOrBidWindowFn(expectedAuctionDurationMs)));
    PCollection<KV<Long, Auction>> auctionsById = windowed
        .apply("AuctionById", ParDo.of(new DoFn<Event, KV<Long, Auction>>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<KV<Long, Auction>> out) {
            if (e.newAuction() != null) out.output(KV.of(e.newAuction().id(), e.newAuction()));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.AuctionCoder.INSTANCE));
    PCollection<KV<Long, Bid>> bidsByAuction = windowed
        .apply("BidByAuction", ParDo.of(new DoFn<Event, KV<Long, Bid>>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<KV<Long, Bid>> out) {
            if (e.bid() != null) out.output(KV.of(e.bid().auction(), e.bid()));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.BidCoder.INSTANCE));
    TupleTag<Auction> auctionTag = new TupleTag<>("auctions");
    TupleTag<Bid> bidTag = new TupleTag<>("bids");
    return KeyedPCollectionTuple.of(auctionTag, auctionsById)
        .and(bidTag, bidsByAuction)
        .apply("CoGroup", CoGroupByKey.create())
        .apply("Join", ParDo.of(new DoFn<KV<Long, CoGbkResult>, AuctionBid>() {
          @ProcessElement
          public void process(@Element KV<Long, CoGbkResult> group, OutputReceiver<AuctionBid> out) {
            Iterator<Auction> auctions = group.getValue().getAll(auctionTag).iterator();
            // Bids without their auction: give up (Beam counts them as noAuction).
            if (!auctions.hasNext()) return;
            Auction auction = auctions.next();
            Bid best = null;
            for (Bid bid : group.getValue().getAll(bidTag)) {
              if (bid.price() < auction.reserve()) continue;
              if (best == null || isBetterBid(bid, best)) best = bid;
            }
            if (best != null) out.output(new AuctionBid(auction, best));
          }
        }))
        .setCoder(NexmarkCoders.AuctionBidCoder.INSTANCE);
  }

  /** The better of two valid bids: higher price, then earlier (Beam's PRICE_THEN_DESCENDING_TIME). */
  static boolean isBetterBid(Bid bid, Bid best) {
    return bid.price() > best.price() || (bid.price() == best.price() && bid.dateTime() < best.dateTime());
  }

  // ---------------------------------------------------------------- the window

  /**
   * The window of an auction ([dateTime, expires)), or the provisional window of a bid for
   * auction {@code auction}. An IntervalWindow, as Beam's is; equal only with the same auction and kind.
   */
  static final class AuctionOrBidWindow extends IntervalWindow {
    final long auction;
    final boolean isAuctionWindow;

    AuctionOrBidWindow(Instant start, Instant end, long auction, boolean isAuctionWindow) {
      super(start, end);
      this.auction = auction;
      this.isAuctionWindow = isAuctionWindow;
    }

    static AuctionOrBidWindow forAuction(Instant timestamp, Auction auction) {
      return new AuctionOrBidWindow(timestamp, new Instant(auction.expires()), auction.id(), true);
    }

    /**
     * A bid may be for an auction not seen yet, or already closed: its window lasts as long as
     * the longest auction starting with it could, so it never holds the watermark forever.
     */
    static AuctionOrBidWindow forBid(long expectedAuctionDurationMs, Instant timestamp, Bid bid) {
      return new AuctionOrBidWindow(timestamp, timestamp.plus(org.joda.time.Duration.millis(expectedAuctionDurationMs * 2)), bid.auction(), false);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof AuctionOrBidWindow w && super.equals(w) && auction == w.auction && isAuctionWindow == w.isAuctionWindow;
    }

    @Override
    public int hashCode() {
      return Objects.hash(super.hashCode(), auction, isAuctionWindow);
    }

    @Override
    public String toString() {
      return "AuctionOrBidWindow{start:" + start() + "; end:" + end() + "; auction:" + auction + "; isAuctionWindow:" + isAuctionWindow + "}";
    }
  }

  /** Beam's AuctionOrBidWindowCoder: the interval window, the auction id, 1/0 for the kind. */
  static final class AuctionOrBidWindowCoder extends NexmarkCoders.DeterministicCoder<AuctionOrBidWindow> {
    private static final long serialVersionUID = 1L;
    static final AuctionOrBidWindowCoder INSTANCE = new AuctionOrBidWindowCoder();
    private static final Coder<IntervalWindow> INTERVAL = IntervalWindow.getCoder();

    @Override
    public void encode(AuctionOrBidWindow w, OutputStream out) throws IOException {
      INTERVAL.encode(w, out);
      NexmarkCoders.writeLong(out, w.auction);
      NexmarkCoders.writeLong(out, w.isAuctionWindow ? 1 : 0);
    }

    @Override
    public AuctionOrBidWindow decode(InputStream in) throws IOException {
      IntervalWindow iw = INTERVAL.decode(in);
      long auction = NexmarkCoders.readLong(in);
      return new AuctionOrBidWindow(iw.start(), iw.end(), auction, NexmarkCoders.readLong(in) != 0);
    }
  }

  /** Assigns auctions and bids to AuctionOrBidWindows and merges bids into their auction. */
  static final class AuctionOrBidWindowFn extends WindowFn<Event, AuctionOrBidWindow> {
    private static final long serialVersionUID = 1L;

    private final long expectedAuctionDurationMs;

    AuctionOrBidWindowFn(long expectedAuctionDurationMs) {
      this.expectedAuctionDurationMs = expectedAuctionDurationMs;
    }

    @Override
    public Collection<AuctionOrBidWindow> assignWindows(AssignContext c) {
      Event e = c.element();
      if (e.newAuction() != null) return List.of(AuctionOrBidWindow.forAuction(c.timestamp(), e.newAuction()));
      if (e.bid() != null) return List.of(AuctionOrBidWindow.forBid(expectedAuctionDurationMs, c.timestamp(), e.bid()));
      throw new IllegalArgumentException("AuctionOrBidWindowFn assigns windows to auctions and bids only, got " + e);
    }

    @Override
    public void mergeWindows(MergeContext c) throws Exception {
      Map<Long, AuctionOrBidWindow> auctionWindows = new HashMap<>();
      Map<Long, List<AuctionOrBidWindow>> bidWindows = new HashMap<>();
      for (AuctionOrBidWindow w : c.windows()) {
        if (w.isAuctionWindow) auctionWindows.put(w.auction, w);
        else bidWindows.computeIfAbsent(w.auction, k -> new ArrayList<>()).add(w);
      }
      for (AuctionOrBidWindow auctionWindow : auctionWindows.values()) {
        // Bids starting at or after the auction's end stay alone and expire without output.
        List<AuctionOrBidWindow> toMerge = new ArrayList<>();
        for (AuctionOrBidWindow b : bidWindows.getOrDefault(auctionWindow.auction, List.of())) {
          if (b.start().isBefore(auctionWindow.end())) toMerge.add(b);
        }
        if (!toMerge.isEmpty()) {
          toMerge.add(auctionWindow);
          c.merge(toMerge, auctionWindow);
        }
      }
    }

    @Override
    public boolean isCompatible(WindowFn<?, ?> other) {
      return other instanceof AuctionOrBidWindowFn o && o.expectedAuctionDurationMs == expectedAuctionDurationMs;
    }

    @Override
    public Coder<AuctionOrBidWindow> windowCoder() {
      return AuctionOrBidWindowCoder.INSTANCE;
    }

    @Override
    public WindowMappingFn<AuctionOrBidWindow> getDefaultWindowMappingFn() {
      throw new UnsupportedOperationException("AuctionOrBidWindowFn cannot be used for side inputs");
    }

    @Override
    public String toString() {
      return "AuctionOrBidWindowFn(" + expectedAuctionDurationMs + "ms)";
    }
  }
}
