package beamts.peers.nexmark;

import beamts.peers.nexmark.Model.Auction;
import beamts.peers.nexmark.Model.AuctionBid;
import beamts.peers.nexmark.Model.AuctionCount;
import beamts.peers.nexmark.Model.AuctionPrice;
import beamts.peers.nexmark.Model.Bid;
import beamts.peers.nexmark.Model.CategoryPrice;
import beamts.peers.nexmark.Model.Event;
import beamts.peers.nexmark.Model.IdNameReserve;
import beamts.peers.nexmark.Model.NameCityStateId;
import beamts.peers.nexmark.Model.Person;
import beamts.peers.nexmark.Model.SellerPrice;
import beamts.peers.nexmark.Model.TopAuctions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.Mean;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;

/**
 * Nexmark queries 0-9 (3 in its batch form), as Beam defines them and as beam-ts's
 * bench/nexmark/queries implement them. Each takes the events and returns its results.
 * WinningBids (queries 4, 6 and 9) is in WinningBids.java.
 */
final class Queries {
  private Queries() {}

  static final String NAMESPACE = "Nexmark";

  static PCollection<?> apply(int query, PCollection<Event> events, NexmarkConfig config) {
    switch (query) {
      case 0:
        return query0(events);
      case 1:
        return query1(events);
      case 2:
        return query2(events, config.auctionSkip);
      case 3:
        return query3(events);
      case 4:
        return query4(events, config);
      case 5:
        return query5(events, config);
      case 6:
        return query6(events, config);
      case 7:
        return query7(events, config.windowSizeSec, config.fanout);
      case 8:
        return query8(events, config.windowSizeSec);
      case 9:
        return query9(events, config);
      default:
        throw new IllegalArgumentException("query " + query + " is not ported (0-9 are)");
    }
  }

  // ---------------------------------------------------------------- fragments

  /** The bids among the events (Beam's JUST_BIDS). */
  static PCollection<Bid> justBids(PCollection<Event> events) {
    return events
        .apply("JustBids", ParDo.of(new DoFn<Event, Bid>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<Bid> out) {
            if (e.bid() != null) out.output(e.bid());
          }
        }))
        .setCoder(NexmarkCoders.BidCoder.INSTANCE);
  }

  /** The auction and bid events, without the people (Beam's filter before WinningBids). */
  static PCollection<Event> auctionsAndBids(PCollection<Event> events) {
    return events
        .apply("AuctionsAndBids", ParDo.of(new DoFn<Event, Event>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<Event> out) {
            if (e.newPerson() == null) out.output(e);
          }
        }))
        .setCoder(NexmarkCoders.EventCoder.INSTANCE);
  }

  /** Sliding windows of {@code windowSizeSec} every {@code windowPeriodSec} (queries 4 and 5). */
  private static SlidingWindows slidingWindows(NexmarkConfig config) {
    return SlidingWindows.of(Duration.standardSeconds(config.windowSizeSec)).every(Duration.standardSeconds(config.windowPeriodSec));
  }

  // ---------------------------------------------------------------- query 0

  /** Pass-through, every event forced through a round trip of the event coder. */
  static PCollection<Event> query0(PCollection<Event> events) {
    return events
        .apply("Query0", ParDo.of(new DoFn<Event, Event>() {
          private final Counter bytes = Metrics.counter("Query0", "bytes");

          @ProcessElement
          public void process(@Element Event e, OutputReceiver<Event> out) throws Exception {
            byte[] encoded = CoderUtils.encodeToByteArray(NexmarkCoders.EventCoder.INSTANCE, e);
            bytes.inc(encoded.length);
            out.output(CoderUtils.decodeFromByteArray(NexmarkCoders.EventCoder.INSTANCE, encoded));
          }
        }))
        .setCoder(NexmarkCoders.EventCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 1

  /** Currency conversion: every bid with its price × 89 / 100 (long arithmetic). */
  static PCollection<Bid> query1(PCollection<Event> events) {
    return justBids(events)
        .apply("ToEuros", ParDo.of(new DoFn<Bid, Bid>() {
          @ProcessElement
          public void process(@Element Bid b, OutputReceiver<Bid> out) {
            out.output(new Bid(b.auction(), b.bidder(), b.price() * 89 / 100, b.dateTime(), b.extra()));
          }
        }))
        .setCoder(NexmarkCoders.BidCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 2

  /** Selection: (auction, price) of the bids whose auction is a multiple of {@code auctionSkip}. */
  static PCollection<AuctionPrice> query2(PCollection<Event> events, int auctionSkip) {
    return justBids(events)
        .apply("Project", ParDo.of(new DoFn<Bid, AuctionPrice>() {
          @ProcessElement
          public void process(@Element Bid b, OutputReceiver<AuctionPrice> out) {
            if (b.auction() % auctionSkip == 0) out.output(new AuctionPrice(b.auction(), b.price()));
          }
        }))
        .setCoder(NexmarkCoders.AuctionPriceCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 3

  /**
   * Local item suggestion (batch form): sellers in OR, ID or CA joined with their auctions in
   * category 10, by a CoGroupByKey on the seller id.
   */
  static PCollection<NameCityStateId> query3(PCollection<Event> events) {
    PCollection<KV<Long, Auction>> auctions = events
        .apply("InCategoryBySeller", ParDo.of(new DoFn<Event, KV<Long, Auction>>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<KV<Long, Auction>> out) {
            Auction a = e.newAuction();
            if (a != null && a.category() == 10) out.output(KV.of(a.seller(), a));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.AuctionCoder.INSTANCE));
    PCollection<KV<Long, Person>> persons = events
        .apply("InStateById", ParDo.of(new DoFn<Event, KV<Long, Person>>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<KV<Long, Person>> out) {
            Person p = e.newPerson();
            if (p != null && (p.state().equals("OR") || p.state().equals("ID") || p.state().equals("CA"))) out.output(KV.of(p.id(), p));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.PersonCoder.INSTANCE));
    TupleTag<Auction> auctionTag = new TupleTag<>("auctions");
    TupleTag<Person> personTag = new TupleTag<>("persons");
    return KeyedPCollectionTuple.of(auctionTag, auctions)
        .and(personTag, persons)
        .apply("CoGroup", CoGroupByKey.create())
        .apply("Join", ParDo.of(new DoFn<KV<Long, CoGbkResult>, NameCityStateId>() {
          @ProcessElement
          public void process(@Element KV<Long, CoGbkResult> group, OutputReceiver<NameCityStateId> out) {
            Iterator<Person> people = group.getValue().getAll(personTag).iterator();
            if (!people.hasNext()) return;
            // Ids are unique: at most one person per id.
            Person person = people.next();
            for (Auction a : group.getValue().getAll(auctionTag)) {
              out.output(new NameCityStateId(person.name(), person.city(), person.state(), a.id()));
            }
          }
        }))
        .setCoder(NexmarkCoders.NameCityStateIdCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 4

  /**
   * Average price for a category: the rounded mean winning price of the closed auctions in each
   * category, over sliding windows (by the winning bids' timestamps, the ends of their auctions'
   * windows). Each result says whether its pane is the window's last.
   */
  static PCollection<CategoryPrice> query4(PCollection<Event> events, NexmarkConfig config) {
    return auctionsAndBids(events)
        .apply(new WinningBids(config))
        .apply("Rekey", ParDo.of(new DoFn<AuctionBid, KV<Long, Long>>() {
          @ProcessElement
          public void process(@Element AuctionBid w, OutputReceiver<KV<Long, Long>> out) {
            out.output(KV.of(w.auction().category(), w.bid().price()));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), VarLongCoder.of()))
        .apply("SlidingWindows", Window.<KV<Long, Long>>into(slidingWindows(config)))
        .apply("Mean", Mean.<Long, Long>perKey().withHotKeyFanout(config.fanout))
        .apply("Project", ParDo.of(new DoFn<KV<Long, Double>, CategoryPrice>() {
          @ProcessElement
          public void process(@Element KV<Long, Double> e, PaneInfo pane, OutputReceiver<CategoryPrice> out) {
            out.output(new CategoryPrice(e.getKey(), Math.round(e.getValue()), pane.isLast()));
          }
        }))
        .setCoder(NexmarkCoders.CategoryPriceCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 5

  /** Hot items: per sliding window, the auctions with the most bids, with that count. */
  static PCollection<AuctionCount> query5(PCollection<Event> events, NexmarkConfig config) {
    return justBids(events)
        .apply("SlidingWindows", Window.<Bid>into(slidingWindows(config)))
        .apply("BidToAuction", ParDo.of(new DoFn<Bid, Long>() {
          @ProcessElement
          public void process(@Element Bid b, OutputReceiver<Long> out) {
            out.output(b.auction());
          }
        }))
        .setCoder(VarLongCoder.of())
        .apply("CountPerAuction", Count.perElement())
        .apply("TopAuctions", Combine.globally(new TopAuctionsFn()).withoutDefaults().withFanout(config.fanout))
        .apply("Select", ParDo.of(new DoFn<TopAuctions, AuctionCount>() {
          @ProcessElement
          public void process(@Element TopAuctions top, OutputReceiver<AuctionCount> out) {
            for (long auction : top.auctions()) out.output(new AuctionCount(auction, top.count()));
          }
        }))
        .setCoder(NexmarkCoders.AuctionCountCoder.INSTANCE);
  }

  /** Beam's Query5 TopCombineFn: keeps every auction with the highest count. */
  static final class TopAuctionsFn extends Combine.CombineFn<KV<Long, Long>, TopAuctions, TopAuctions> {
    private static final long serialVersionUID = 1L;

    @Override
    public TopAuctions createAccumulator() {
      return new TopAuctions(new ArrayList<>(), 0);
    }

    @Override
    public TopAuctions addInput(TopAuctions acc, KV<Long, Long> input) {
      if (input.getValue() > acc.count()) {
        List<Long> auctions = new ArrayList<>();
        auctions.add(input.getKey());
        return new TopAuctions(auctions, input.getValue());
      }
      if (input.getValue() == acc.count()) acc.auctions().add(input.getKey());
      return acc;
    }

    @Override
    public TopAuctions mergeAccumulators(Iterable<TopAuctions> accs) {
      TopAuctions result = createAccumulator();
      for (TopAuctions a : accs) {
        if (a.count() > result.count()) result = new TopAuctions(new ArrayList<>(a.auctions()), a.count());
        else if (a.count() == result.count()) result.auctions().addAll(a.auctions());
      }
      return result;
    }

    @Override
    public TopAuctions extractOutput(TopAuctions acc) {
      return acc;
    }

    @Override
    public Coder<TopAuctions> getAccumulatorCoder(CoderRegistry registry, Coder<KV<Long, Long>> inputCoder) {
      return NexmarkCoders.TopAuctionsCoder.INSTANCE;
    }

    @Override
    public Coder<TopAuctions> getDefaultOutputCoder(CoderRegistry registry, Coder<KV<Long, Long>> inputCoder) {
      return NexmarkCoders.TopAuctionsCoder.INSTANCE;
    }
  }

  // ---------------------------------------------------------------- query 6

  /** The maximum number of latest winning bids query 6 averages per seller. */
  private static final int QUERY6_MAX_BIDS = 10;

  /**
   * Average selling price by seller: the rounded mean price of each seller's latest 10 winning
   * bids, in the global window, a pane (accumulating) after every winning bid.
   */
  static PCollection<SellerPrice> query6(PCollection<Event> events, NexmarkConfig config) {
    return auctionsAndBids(events)
        .apply(new WinningBids(config))
        .apply("Rekey", ParDo.of(new DoFn<AuctionBid, KV<Long, Bid>>() {
          @ProcessElement
          public void process(@Element AuctionBid w, OutputReceiver<KV<Long, Bid>> out) {
            out.output(KV.of(w.auction().seller(), w.bid()));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.BidCoder.INSTANCE))
        .apply("EveryWinningBid", Window.<KV<Long, Bid>>into(new GlobalWindows())
            .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
            .accumulatingFiredPanes()
            .withAllowedLateness(Duration.ZERO))
        .apply("MovingMean", Combine.perKey(new MovingMeanSellingPrice(QUERY6_MAX_BIDS)))
        .apply("Select", ParDo.of(new DoFn<KV<Long, Long>, SellerPrice>() {
          @ProcessElement
          public void process(@Element KV<Long, Long> e, OutputReceiver<SellerPrice> out) {
            out.output(new SellerPrice(e.getKey(), e.getValue()));
          }
        }))
        .setCoder(NexmarkCoders.SellerPriceCoder.INSTANCE);
  }

  /** Bids by time, then price (Beam's Bid.ASCENDING_TIME_THEN_PRICE). */
  static final Comparator<Bid> ASCENDING_TIME_THEN_PRICE = Comparator.comparingLong(Bid::dateTime).thenComparingLong(Bid::price);

  /** Beam's MovingMeanSellingPrice: the rounded mean price of the latest {@code maxNumBids} bids. */
  static final class MovingMeanSellingPrice extends Combine.CombineFn<Bid, List<Bid>, Long> {
    private static final long serialVersionUID = 1L;

    private final int maxNumBids;

    MovingMeanSellingPrice(int maxNumBids) {
      this.maxNumBids = maxNumBids;
    }

    @Override
    public List<Bid> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Bid> addInput(List<Bid> acc, Bid bid) {
      acc.add(bid);
      acc.sort(ASCENDING_TIME_THEN_PRICE);
      if (acc.size() > maxNumBids) acc.remove(0);
      return acc;
    }

    @Override
    public List<Bid> mergeAccumulators(Iterable<List<Bid>> accs) {
      List<Bid> all = new ArrayList<>();
      for (List<Bid> a : accs) all.addAll(a);
      all.sort(ASCENDING_TIME_THEN_PRICE);
      return all.size() > maxNumBids ? new ArrayList<>(all.subList(all.size() - maxNumBids, all.size())) : all;
    }

    @Override
    public Long extractOutput(List<Bid> acc) {
      if (acc.isEmpty()) return 0L;
      long sum = 0;
      for (Bid b : acc) sum += b.price();
      return Math.round((double) sum / acc.size());
    }

    @Override
    public Coder<List<Bid>> getAccumulatorCoder(CoderRegistry registry, Coder<Bid> inputCoder) {
      return ListCoder.of(NexmarkCoders.BidCoder.INSTANCE);
    }

    @Override
    public Coder<Long> getDefaultOutputCoder(CoderRegistry registry, Coder<Bid> inputCoder) {
      return VarLongCoder.of();
    }
  }

  // ---------------------------------------------------------------- query 7

  /** Highest bid: the bids at the maximum price of their fixed window, the maximum read as a side input. */
  static PCollection<Bid> query7(PCollection<Event> events, long windowSizeSec, int fanout) {
    PCollection<Bid> bids = justBids(events)
        .apply("Window", Window.<Bid>into(FixedWindows.of(Duration.standardSeconds(windowSizeSec))));
    PCollectionView<Long> maxPrice = bids
        .apply("BidToPrice", ParDo.of(new DoFn<Bid, Long>() {
          @ProcessElement
          public void process(@Element Bid b, OutputReceiver<Long> out) {
            out.output(b.price());
          }
        }))
        .setCoder(VarLongCoder.of())
        .apply("MaxPrice", Max.longsGlobally().withFanout(fanout).asSingletonView());
    return bids
        .apply("Select", ParDo.of(new DoFn<Bid, Bid>() {
          @ProcessElement
          public void process(ProcessContext c) {
            if (c.element().price() == c.sideInput(maxPrice)) c.output(c.element());
          }
        }).withSideInputs(maxPrice))
        .setCoder(NexmarkCoders.BidCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 8

  /**
   * Monitor new users: the people who opened auctions in the same fixed window in which they
   * registered, with each auction's reserve (a CoGroupByKey of people by id and auctions by seller).
   */
  static PCollection<IdNameReserve> query8(PCollection<Event> events, long windowSizeSec) {
    PCollection<KV<Long, Person>> persons = events
        .apply("PersonById", ParDo.of(new DoFn<Event, KV<Long, Person>>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<KV<Long, Person>> out) {
            if (e.newPerson() != null) out.output(KV.of(e.newPerson().id(), e.newPerson()));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.PersonCoder.INSTANCE))
        .apply("WindowPersons", Window.<KV<Long, Person>>into(FixedWindows.of(Duration.standardSeconds(windowSizeSec))));
    PCollection<KV<Long, Auction>> auctions = events
        .apply("AuctionBySeller", ParDo.of(new DoFn<Event, KV<Long, Auction>>() {
          @ProcessElement
          public void process(@Element Event e, OutputReceiver<KV<Long, Auction>> out) {
            if (e.newAuction() != null) out.output(KV.of(e.newAuction().seller(), e.newAuction()));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), NexmarkCoders.AuctionCoder.INSTANCE))
        .apply("WindowAuctions", Window.<KV<Long, Auction>>into(FixedWindows.of(Duration.standardSeconds(windowSizeSec))));
    TupleTag<Person> personTag = new TupleTag<>("persons");
    TupleTag<Auction> auctionTag = new TupleTag<>("auctions");
    return KeyedPCollectionTuple.of(personTag, persons)
        .and(auctionTag, auctions)
        .apply("CoGroup", CoGroupByKey.create())
        .apply("Select", ParDo.of(new DoFn<KV<Long, CoGbkResult>, IdNameReserve>() {
          @ProcessElement
          public void process(@Element KV<Long, CoGbkResult> group, OutputReceiver<IdNameReserve> out) {
            Iterator<Person> people = group.getValue().getAll(personTag).iterator();
            // No person: they did not register in this window.
            if (!people.hasNext()) return;
            Person person = people.next();
            for (Auction a : group.getValue().getAll(auctionTag)) out.output(new IdNameReserve(person.id(), person.name(), a.reserve()));
          }
        }))
        .setCoder(NexmarkCoders.IdNameReserveCoder.INSTANCE);
  }

  // ---------------------------------------------------------------- query 9

  /** Winning bids: Beam's WinningBids on its own. */
  static PCollection<AuctionBid> query9(PCollection<Event> events, NexmarkConfig config) {
    return auctionsAndBids(events).apply(new WinningBids(config));
  }
}
