/**
 * Query 6's deterministic result: each seller's final average, i.e. the value of the
 * seller's last pane.
 *
 * Query 6 fires a pane after every winning bid (Repeatedly(AfterPane.elementCountAtLeast(1))
 * in the global window, accumulating), so how many panes it emits depends on how the runner
 * bundles its input and fires the trigger: a trigger fires at most once per bundle, and a
 * batch runner may fire once at the end. What does not depend on it is the last pane of each
 * seller: the panes accumulate, so the last one (the highest pane index) combines all of the
 * seller's winning bids — the rounded mean of their latest 10 (an integer, Math.round of
 * the mean in both Java and JavaScript).
 *
 * recordFinalAverages() picks each seller's last pane inside the pipeline (a GroupByKey in
 * the global window with the default trigger, keeping the value of the highest pane index)
 * and adds three counters: the number of sellers, the sum of the final averages, and a
 * digest of the (seller, final average) pairs. The digest is a sum of one term per pair, so
 * it does not depend on the order the pairs arrive in, and every step stays below 2^53 so
 * that Java's longs and JavaScript's numbers compute the same value
 * (tools/peers/java-nexmark's Main.java computes it the same way).
 */
import { Metrics, Triggers, combinePerKey, globalWindows, kv, map, parDo, ptransform, windowInto, type KV, type PCollection, type PTransform } from "../../../src/index.js";
import type { SellerPrice } from "../model.js";

/** The digest's modulus (2^31 - 1, prime). */
export const DIGEST_MODULUS = 2_147_483_647;
const DIGEST_MULTIPLIER = 1_000_003;

/** The metrics namespace and counter names (the same in the Java peer). */
export const FINAL_AVERAGES_NAMESPACE = "nexmark";
export const FINAL_AVERAGES_COUNTERS = { sellers: "finalSellers", sum: "finalAverageSum", digest: "finalAverageDigest" } as const;

/** Query 6's final averages, summarised so that systems can be compared. */
export interface FinalAverages {
  /** Sellers with at least one winning bid (one final average each). */
  readonly sellers: number;
  /** The sum of the final averages. */
  readonly sum: number;
  /** The sum over sellers of digestTerm(seller, final average). */
  readonly digest: number;
}

const floorMod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

/**
 * One pair's term of the digest: x = (seller · 1,000,003 + average) mod p, then x² mod p,
 * with p = 2^31 - 1 (squaring, so that moving an amount from one seller's average to
 * another's changes the digest). Computed in BigInt, as Java computes it in longs.
 */
export function digestTerm(seller: number, average: number): number {
  const p = BigInt(DIGEST_MODULUS);
  const x = floorMod(floorMod(BigInt(seller), p) * BigInt(DIGEST_MULTIPLIER) + BigInt(average), p);
  return Number((x * x) % p);
}

/** The summary of a list of (seller, final average) pairs, one per seller. */
export function finalAveragesOf(pairs: Iterable<SellerPrice>): FinalAverages {
  let sellers = 0;
  let sum = 0;
  let digest = 0;
  for (const { seller, price } of pairs) {
    sellers++;
    sum += price;
    digest += digestTerm(seller, price);
  }
  return { sellers, sum, digest };
}

interface IndexedPrice {
  readonly index: number;
  readonly price: number;
}

/** The accumulator before any pane. */
const NO_PANE: IndexedPrice = { index: -1, price: 0 };

/** The later of two panes (ties, which one seller's panes never have, broken by price). */
const laterPane = (a: IndexedPrice, b: IndexedPrice): IndexedPrice => (b.index > a.index || (b.index === a.index && b.price > a.price) ? b : a);

/**
 * Adds query 6's final averages (see the module comment) to the counters named in
 * FINAL_AVERAGES_COUNTERS; read them back with readFinalAverages.
 */
export function recordFinalAverages(): PTransform<PCollection<SellerPrice>, PCollection<never>> {
  const sellers = Metrics.counter(FINAL_AVERAGES_NAMESPACE, FINAL_AVERAGES_COUNTERS.sellers);
  const sum = Metrics.counter(FINAL_AVERAGES_NAMESPACE, FINAL_AVERAGES_COUNTERS.sum);
  const digest = Metrics.counter(FINAL_AVERAGES_NAMESPACE, FINAL_AVERAGES_COUNTERS.digest);
  return ptransform("FinalAverages", (results: PCollection<SellerPrice>) =>
    results
      .apply("KeyBySeller", map((r: SellerPrice, ctx) => kv(r.seller, { index: ctx.pane.index, price: r.price })))
      // Query 6's trigger would fire again here; the default one fires once, at the end.
      .apply(windowInto(globalWindows(), { trigger: Triggers.default(), accumulationMode: "DISCARDING", allowedLateness: 0 }))
      .apply(
        "LastPane",
        combinePerKey<number, IndexedPrice, IndexedPrice, IndexedPrice>({
          name: "LastPane",
          createAccumulator: () => NO_PANE,
          addInput: laterPane,
          mergeAccumulators: (accs) => [...accs].reduce(laterPane, NO_PANE),
          extractOutput: (acc) => acc,
        }),
      )
      .apply(
        "Record",
        parDo<KV<number, IndexedPrice>, never>({
          process({ key, value }) {
            if (value.index < 0) return;
            sellers.inc();
            sum.inc(value.price);
            digest.inc(digestTerm(key, value.price));
          },
        }),
      ),
  );
}

/** The counters recordFinalAverages wrote, from a finished pipeline's committed metrics. */
export function readFinalAverages(counter: (name: string) => number): FinalAverages {
  return {
    sellers: counter(FINAL_AVERAGES_COUNTERS.sellers),
    sum: counter(FINAL_AVERAGES_COUNTERS.sum),
    digest: counter(FINAL_AVERAGES_COUNTERS.digest),
  };
}
