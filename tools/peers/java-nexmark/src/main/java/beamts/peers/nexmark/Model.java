package beamts.peers.nexmark;

import java.io.Serializable;
import java.util.List;

/**
 * The Nexmark data model with Beam's field names (bench/nexmark/model.ts). Times are
 * milliseconds since the epoch, prices in cents.
 */
public final class Model {
  private Model() {}

  /** A person either creating an auction or making a bid. */
  public record Person(long id, String name, String emailAddress, String creditCard, String city, String state, long dateTime, String extra)
      implements Serializable {
    String toJson() {
      return "{\"id\":" + id + ",\"name\":" + Json.str(name) + ",\"emailAddress\":" + Json.str(emailAddress)
          + ",\"creditCard\":" + Json.str(creditCard) + ",\"city\":" + Json.str(city) + ",\"state\":" + Json.str(state)
          + ",\"dateTime\":" + dateTime + ",\"extra\":" + Json.str(extra) + "}";
    }
  }

  /** An auction submitted by a person. */
  public record Auction(long id, String itemName, String description, long initialBid, long reserve, long dateTime, long expires, long seller,
      long category, String extra) implements Serializable {
    String toJson() {
      return "{\"id\":" + id + ",\"itemName\":" + Json.str(itemName) + ",\"description\":" + Json.str(description)
          + ",\"initialBid\":" + initialBid + ",\"reserve\":" + reserve + ",\"dateTime\":" + dateTime + ",\"expires\":" + expires
          + ",\"seller\":" + seller + ",\"category\":" + category + ",\"extra\":" + Json.str(extra) + "}";
    }
  }

  /** A bid for an item on auction. */
  public record Bid(long auction, long bidder, long price, long dateTime, String extra) implements Serializable {
    String toJson() {
      return "{\"auction\":" + auction + ",\"bidder\":" + bidder + ",\"price\":" + price + ",\"dateTime\":" + dateTime
          + ",\"extra\":" + Json.str(extra) + "}";
    }
  }

  /** An event: exactly one of the three fields is set (as Beam's Event). */
  public record Event(Person newPerson, Auction newAuction, Bid bid) implements Serializable {
    static Event of(Person p) {
      return new Event(p, null, null);
    }

    static Event of(Auction a) {
      return new Event(null, a, null);
    }

    static Event of(Bid b) {
      return new Event(null, null, b);
    }

    String toJson() {
      if (newPerson != null) return "{\"kind\":\"person\",\"newPerson\":" + newPerson.toJson() + "}";
      if (newAuction != null) return "{\"kind\":\"auction\",\"newAuction\":" + newAuction.toJson() + "}";
      return "{\"kind\":\"bid\",\"bid\":" + bid.toJson() + "}";
    }
  }

  /** Result of query 2. */
  public record AuctionPrice(long auction, long price) implements Serializable {}

  /** Result of query 3. */
  public record NameCityStateId(String name, String city, String state, long id) implements Serializable {}

  /** A closed auction with its winning bid (WinningBids; result of query 9). */
  public record AuctionBid(Auction auction, Bid bid) implements Serializable {}

  /** Result of query 4: a category's rounded mean winning price in a window, and whether the pane is its last. */
  public record CategoryPrice(long category, long price, boolean isLast) implements Serializable {}

  /** Result of query 5: an auction and its number of bids. */
  public record AuctionCount(long auction, long num) implements Serializable {}

  /**
   * Query 5's accumulator and combined output: the auctions with the highest bid count seen so
   * far, in the order they were added, and that count. The list is mutable (addInput appends).
   */
  public record TopAuctions(List<Long> auctions, long count) implements Serializable {}

  /** Result of query 6: a seller's rounded mean selling price. */
  public record SellerPrice(long seller, long price) implements Serializable {}

  /** Result of query 8: a new person who opened an auction in the window they registered in, with its reserve. */
  public record IdNameReserve(long id, String name, long reserve) implements Serializable {}

  /** Minimal JSON string quoting (the generator draws ASCII only, but escape properly anyway). */
  static final class Json {
    private Json() {}

    static String str(String s) {
      StringBuilder b = new StringBuilder(s.length() + 2).append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') b.append('\\').append(c);
        else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
        else b.append(c);
      }
      return b.append('"').toString();
    }
  }
}
