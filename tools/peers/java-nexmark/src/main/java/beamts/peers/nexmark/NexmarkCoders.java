package beamts.peers.nexmark;

import beamts.peers.nexmark.Model.Auction;
import beamts.peers.nexmark.Model.AuctionPrice;
import beamts.peers.nexmark.Model.Bid;
import beamts.peers.nexmark.Model.Event;
import beamts.peers.nexmark.Model.NameCityStateId;
import beamts.peers.nexmark.Model.Person;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/**
 * Hand-written coders of the model, in the byte format of bench/nexmark/coders.ts (Beam's
 * Nexmark coders): longs as varints, strings as varint-length-prefixed UTF-8, times as
 * Beam's InstantCoder (8 bytes big-endian, sign bit flipped), an event as a varint tag
 * (0 person, 1 auction, 2 bid) and the record. Each coder is deterministic.
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
}
