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
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/**
 * Hand-written coders of the model, in the byte format of bench/nexmark/coders.ts (Beam's
 * Nexmark coders): longs as varints, strings as varint-length-prefixed UTF-8, times as
 * Beam's InstantCoder (8 bytes big-endian, sign bit flipped), an event as a varint tag
 * (0 person, 1 auction, 2 bid) and the record. The query results (which beam-ts never
 * encodes) use the same primitives, a boolean as a varint 0 or 1. Each coder is deterministic.
 */
final class NexmarkCoders {
  private NexmarkCoders() {}

  // ---------------------------------------------------------------- primitives

  static void writeLong(OutputStream out, long v) throws IOException {
    VarInt.encode(v, out);
  }

  static long readLong(InputStream in) throws IOException {
    return VarInt.decodeLong(in);
  }

  static void writeString(OutputStream out, String s) throws IOException {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    VarInt.encode(bytes.length, out);
    out.write(bytes);
  }

  static String readString(InputStream in) throws IOException {
    int len = VarInt.decodeInt(in);
    byte[] bytes = new byte[len];
    int off = 0;
    while (off < len) {
      int n = in.read(bytes, off, len - off);
      if (n < 0) throw new EOFException("truncated string");
      off += n;
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static void writeInstant(OutputStream out, long millis) throws IOException {
    long v = millis ^ Long.MIN_VALUE;
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (56 - 8 * i));
    out.write(b);
  }

  static long readInstant(InputStream in) throws IOException {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      int b = in.read();
      if (b < 0) throw new EOFException("truncated instant");
      v = (v << 8) | b;
    }
    return v ^ Long.MIN_VALUE;
  }

  /** An AtomicCoder that is deterministic. */
  abstract static class DeterministicCoder<T> extends AtomicCoder<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public void verifyDeterministic() {}

    /** The values are records of longs and strings: equal exactly when their encodings are. */
    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }

  // ---------------------------------------------------------------- records

  static final class PersonCoder extends DeterministicCoder<Person> {
    private static final long serialVersionUID = 1L;
    static final PersonCoder INSTANCE = new PersonCoder();

    @Override
    public void encode(Person p, OutputStream out) throws IOException {
      writeLong(out, p.id());
      writeString(out, p.name());
      writeString(out, p.emailAddress());
      writeString(out, p.creditCard());
      writeString(out, p.city());
      writeString(out, p.state());
      writeInstant(out, p.dateTime());
      writeString(out, p.extra());
    }

    @Override
    public Person decode(InputStream in) throws IOException {
      return new Person(readLong(in), readString(in), readString(in), readString(in), readString(in), readString(in), readInstant(in),
          readString(in));
    }
  }

  static final class AuctionCoder extends DeterministicCoder<Auction> {
    private static final long serialVersionUID = 1L;
    static final AuctionCoder INSTANCE = new AuctionCoder();

    @Override
    public void encode(Auction a, OutputStream out) throws IOException {
      writeLong(out, a.id());
      writeString(out, a.itemName());
      writeString(out, a.description());
      writeLong(out, a.initialBid());
      writeLong(out, a.reserve());
      writeInstant(out, a.dateTime());
      writeInstant(out, a.expires());
      writeLong(out, a.seller());
      writeLong(out, a.category());
      writeString(out, a.extra());
    }

    @Override
    public Auction decode(InputStream in) throws IOException {
      return new Auction(readLong(in), readString(in), readString(in), readLong(in), readLong(in), readInstant(in), readInstant(in),
          readLong(in), readLong(in), readString(in));
    }
  }

  static final class BidCoder extends DeterministicCoder<Bid> {
    private static final long serialVersionUID = 1L;
    static final BidCoder INSTANCE = new BidCoder();

    @Override
    public void encode(Bid b, OutputStream out) throws IOException {
      writeLong(out, b.auction());
      writeLong(out, b.bidder());
      writeLong(out, b.price());
      writeInstant(out, b.dateTime());
      writeString(out, b.extra());
    }

    @Override
    public Bid decode(InputStream in) throws IOException {
      return new Bid(readLong(in), readLong(in), readLong(in), readInstant(in), readString(in));
    }
  }

  static final class EventCoder extends DeterministicCoder<Event> {
    private static final long serialVersionUID = 1L;
    static final EventCoder INSTANCE = new EventCoder();

    @Override
    public void encode(Event e, OutputStream out) throws IOException {
      if (e.newPerson() != null) {
        writeLong(out, 0);
        PersonCoder.INSTANCE.encode(e.newPerson(), out);
      } else if (e.newAuction() != null) {
        writeLong(out, 1);
        AuctionCoder.INSTANCE.encode(e.newAuction(), out);
      } else {
        writeLong(out, 2);
        BidCoder.INSTANCE.encode(e.bid(), out);
      }
    }

    @Override
    public Event decode(InputStream in) throws IOException {
      long tag = readLong(in);
      if (tag == 0) return Event.of(PersonCoder.INSTANCE.decode(in));
      if (tag == 1) return Event.of(AuctionCoder.INSTANCE.decode(in));
      if (tag == 2) return Event.of(BidCoder.INSTANCE.decode(in));
      throw new CoderException("invalid event tag " + tag);
    }
  }

  static final class AuctionPriceCoder extends DeterministicCoder<AuctionPrice> {
    private static final long serialVersionUID = 1L;
    static final AuctionPriceCoder INSTANCE = new AuctionPriceCoder();

    @Override
    public void encode(AuctionPrice v, OutputStream out) throws IOException {
      writeLong(out, v.auction());
      writeLong(out, v.price());
    }

    @Override
    public AuctionPrice decode(InputStream in) throws IOException {
      return new AuctionPrice(readLong(in), readLong(in));
    }
  }

  static final class NameCityStateIdCoder extends DeterministicCoder<NameCityStateId> {
    private static final long serialVersionUID = 1L;
    static final NameCityStateIdCoder INSTANCE = new NameCityStateIdCoder();

    @Override
    public void encode(NameCityStateId v, OutputStream out) throws IOException {
      writeString(out, v.name());
      writeString(out, v.city());
      writeString(out, v.state());
      writeLong(out, v.id());
    }

    @Override
    public NameCityStateId decode(InputStream in) throws IOException {
      return new NameCityStateId(readString(in), readString(in), readString(in), readLong(in));
    }
  }

  static final class AuctionBidCoder extends DeterministicCoder<AuctionBid> {
    private static final long serialVersionUID = 1L;
    static final AuctionBidCoder INSTANCE = new AuctionBidCoder();

    @Override
    public void encode(AuctionBid v, OutputStream out) throws IOException {
      AuctionCoder.INSTANCE.encode(v.auction(), out);
      BidCoder.INSTANCE.encode(v.bid(), out);
    }

    @Override
    public AuctionBid decode(InputStream in) throws IOException {
      return new AuctionBid(AuctionCoder.INSTANCE.decode(in), BidCoder.INSTANCE.decode(in));
    }
  }

  static final class CategoryPriceCoder extends DeterministicCoder<CategoryPrice> {
    private static final long serialVersionUID = 1L;
    static final CategoryPriceCoder INSTANCE = new CategoryPriceCoder();

    @Override
    public void encode(CategoryPrice v, OutputStream out) throws IOException {
      writeLong(out, v.category());
      writeLong(out, v.price());
      writeLong(out, v.isLast() ? 1 : 0);
    }

    @Override
    public CategoryPrice decode(InputStream in) throws IOException {
      return new CategoryPrice(readLong(in), readLong(in), readLong(in) != 0);
    }
  }

  static final class AuctionCountCoder extends DeterministicCoder<AuctionCount> {
    private static final long serialVersionUID = 1L;
    static final AuctionCountCoder INSTANCE = new AuctionCountCoder();

    @Override
    public void encode(AuctionCount v, OutputStream out) throws IOException {
      writeLong(out, v.auction());
      writeLong(out, v.num());
    }

    @Override
    public AuctionCount decode(InputStream in) throws IOException {
      return new AuctionCount(readLong(in), readLong(in));
    }
  }

  /** The count, the number of auctions, the auctions in order (decoded into a mutable list). */
  static final class TopAuctionsCoder extends DeterministicCoder<TopAuctions> {
    private static final long serialVersionUID = 1L;
    static final TopAuctionsCoder INSTANCE = new TopAuctionsCoder();

    @Override
    public void encode(TopAuctions v, OutputStream out) throws IOException {
      writeLong(out, v.count());
      writeLong(out, v.auctions().size());
      for (long auction : v.auctions()) writeLong(out, auction);
    }

    @Override
    public TopAuctions decode(InputStream in) throws IOException {
      long count = readLong(in);
      long size = readLong(in);
      if (size < 0 || size > Integer.MAX_VALUE) throw new CoderException("invalid list size " + size);
      List<Long> auctions = new ArrayList<>((int) size);
      for (long i = 0; i < size; i++) auctions.add(readLong(in));
      return new TopAuctions(auctions, count);
    }
  }

  static final class SellerPriceCoder extends DeterministicCoder<SellerPrice> {
    private static final long serialVersionUID = 1L;
    static final SellerPriceCoder INSTANCE = new SellerPriceCoder();

    @Override
    public void encode(SellerPrice v, OutputStream out) throws IOException {
      writeLong(out, v.seller());
      writeLong(out, v.price());
    }

    @Override
    public SellerPrice decode(InputStream in) throws IOException {
      return new SellerPrice(readLong(in), readLong(in));
    }
  }

  static final class IdNameReserveCoder extends DeterministicCoder<IdNameReserve> {
    private static final long serialVersionUID = 1L;
    static final IdNameReserveCoder INSTANCE = new IdNameReserveCoder();

    @Override
    public void encode(IdNameReserve v, OutputStream out) throws IOException {
      writeLong(out, v.id());
      writeString(out, v.name());
      writeLong(out, v.reserve());
    }

    @Override
    public IdNameReserve decode(InputStream in) throws IOException {
      return new IdNameReserve(readLong(in), readString(in), readLong(in));
    }
  }
}
