package beamts.peers.nexmark;

import beamts.peers.nexmark.Model.Auction;
import beamts.peers.nexmark.Model.AuctionPrice;
import beamts.peers.nexmark.Model.Bid;
import beamts.peers.nexmark.Model.Event;
import beamts.peers.nexmark.Model.NameCityStateId;
import beamts.peers.nexmark.Model.Person;
import java.util.Iterator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;

/**
 * Nexmark queries 0, 1, 2, 3 (batch) and 7, as Beam defines them and as beam-ts's
 * bench/nexmark/queries implement them. Each takes the events and returns its results.
 */
final class Queries {
  private Queries() {}

  static final String NAMESPACE = "Nexmark";
  /** Beam's fanout default for query 7's combine. */
  private static final int FANOUT = 5;

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
      case 7:
        return query7(events, config.windowSizeSec);
      default:
        throw new IllegalArgumentException("query " + query + " is not ported (0, 1, 2, 3 and 7 are)");
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

  // ---------------------------------------------------------------- query 7

  /** Highest bid: the bids at the maximum price of their fixed window, the maximum read as a side input. */
  static PCollection<Bid> query7(PCollection<Event> events, long windowSizeSec) {
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
        .apply("MaxPrice", Max.longsGlobally().withFanout(FANOUT).asSingletonView());
    return bids
        .apply("Select", ParDo.of(new DoFn<Bid, Bid>() {
          @ProcessElement
          public void process(ProcessContext c) {
            if (c.element().price() == c.sideInput(maxPrice)) c.output(c.element());
          }
        }).withSideInputs(maxPrice))
        .setCoder(NexmarkCoders.BidCoder.INSTANCE);
  }
}
