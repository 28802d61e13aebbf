package beamts.peers.nexmark;

import beamts.peers.nexmark.Model.SellerPrice;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.joda.time.Duration;

/**
 * Query 6's deterministic result, as bench/nexmark/queries/final-averages.ts records it for
 * beam-ts: per seller, the value of its last pane (the highest pane index; the panes
 * accumulate, so it covers all of the seller's winning bids), summarised in three counters —
 * the number of sellers, the sum of the final averages, and a digest that is the sum over
 * sellers of digestTerm(seller, final average). How many panes Query 6 emits depends on how
 * the runner fires its per-element trigger; these do not.
 */
final class FinalAverages extends PTransform<PCollection<SellerPrice>, PDone> {
  private static final long serialVersionUID = 1L;

  static final String SELLERS = "finalSellers";
  static final String SUM = "finalAverageSum";
  static final String DIGEST = "finalAverageDigest";

  /** 2^31 - 1: every step of digestTerm fits in 53 bits or, squared, in a long. */
  private static final long MODULUS = 2_147_483_647L;
  private static final long MULTIPLIER = 1_000_003L;

  /** x = (seller * 1,000,003 + average) mod p, then x^2 mod p; the same in final-averages.ts. */
  static long digestTerm(long seller, long average) {
    long x = Math.floorMod(Math.floorMod(seller, MODULUS) * MULTIPLIER + average, MODULUS);
    return Math.floorMod(x * x, MODULUS);
  }

  @Override
  public PDone expand(PCollection<SellerPrice> results) {
    results
        .apply("KeyBySeller", ParDo.of(new DoFn<SellerPrice, KV<Long, KV<Long, Long>>>() {
          @ProcessElement
          public void process(@Element SellerPrice r, PaneInfo pane, OutputReceiver<KV<Long, KV<Long, Long>>> out) {
            out.output(KV.of(r.seller(), KV.of(pane.getIndex(), r.price())));
          }
        }))
        .setCoder(KvCoder.of(VarLongCoder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of())))
        // Query 6's trigger would fire again here; the default one fires once, at the end.
        .apply("Rewindow", Window.<KV<Long, KV<Long, Long>>>into(new GlobalWindows())
            .triggering(DefaultTrigger.of())
            .discardingFiredPanes()
            .withAllowedLateness(Duration.ZERO))
        .apply("LastPane", Combine.perKey(new LaterPane()))
        .apply("Record", ParDo.of(new DoFn<KV<Long, KV<Long, Long>>, Void>() {
          private final Counter sellers = Metrics.counter(Queries.NAMESPACE, SELLERS);
          private final Counter sum = Metrics.counter(Queries.NAMESPACE, SUM);
          private final Counter digest = Metrics.counter(Queries.NAMESPACE, DIGEST);

          @ProcessElement
          public void process(@Element KV<Long, KV<Long, Long>> e) {
            long average = e.getValue().getValue();
            sellers.inc();
            sum.inc(average);
            digest.inc(digestTerm(e.getKey(), average));
          }
        }));
    return PDone.in(results.getPipeline());
  }

  /** The (pane index, average) of the later pane (ties, which one seller's panes never have, by average). */
  static final class LaterPane extends Combine.BinaryCombineFn<KV<Long, Long>> {
    private static final long serialVersionUID = 1L;

    @Override
    public KV<Long, Long> apply(KV<Long, Long> a, KV<Long, Long> b) {
      int byIndex = Long.compare(b.getKey(), a.getKey());
      return byIndex > 0 || (byIndex == 0 && b.getValue() > a.getValue()) ? b : a;
    }
  }
}
