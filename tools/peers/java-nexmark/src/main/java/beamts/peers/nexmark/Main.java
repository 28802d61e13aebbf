package beamts.peers.nexmark;

import beamts.peers.nexmark.Model.Event;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.runners.flink.FlinkRunnerResult;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Runs one Nexmark query on Beam Java and prints one JSON line on stdout:
 *
 * <pre>
 *   --runner=direct|flink --query=N --numEvents=M [--numEventGenerators=K]
 *   --dump=N [--numEventGenerators=K]   (print the first N events as JSON lines instead)
 * </pre>
 */
public final class Main {
  private Main() {}

  /** Arguments of this launcher; the others are Beam pipeline options. */
  private static final java.util.Set<String> OWN_ARGS = java.util.Set.of("runner", "query", "numEvents", "numEventGenerators", "parallelism", "dump");

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    NexmarkConfig config = new NexmarkConfig();
    if (opts.containsKey("numEventGenerators")) config.numEventGenerators = Integer.parseInt(opts.get("numEventGenerators"));
    if (opts.containsKey("dump")) {
      config.numEvents = Long.parseLong(opts.get("dump"));
      dump(config);
      return;
    }
    String runner = opts.getOrDefault("runner", "direct");
    int query = Integer.parseInt(require(opts, "query"));
    config.numEvents = Long.parseLong(opts.getOrDefault("numEvents", "100000"));
    int parallelism = Integer.parseInt(opts.getOrDefault("parallelism", "2"));

    // Anything else (--experiments=..., --targetParallelism=...) goes to Beam's options.
    String[] beamArgs = opts.entrySet().stream()
        .filter(e -> !OWN_ARGS.contains(e.getKey()))
        .map(e -> "--" + e.getKey() + "=" + e.getValue())
        .toArray(String[]::new);
    PipelineOptions options;
    String system;
    switch (runner) {
      case "direct":
        // DirectRunner with its defaults (enforceImmutability and enforceEncodability on).
        options = PipelineOptionsFactory.fromArgs(beamArgs).create();
        options.setRunner(DirectRunner.class);
        system = "beam-java-direct";
        break;
      case "flink":
        FlinkPipelineOptions flink = PipelineOptionsFactory.fromArgs(beamArgs).as(FlinkPipelineOptions.class);
        flink.setRunner(FlinkRunner.class);
        flink.setFlinkMaster("[local]");
        flink.setParallelism(parallelism);
        flink.setStreaming(false);
        options = flink;
        system = "beam-java-flink";
        break;
      default:
        throw new IllegalArgumentException("--runner must be direct or flink, got " + runner);
    }

    Pipeline p = Pipeline.create(options);
    PCollection<Event> events = p.apply("NexmarkEvents", Read.from(EventSource.of(config)));
    PCollection<?> results = Queries.apply(query, events, config);
    countResults(results);
    // Query 6's pane count depends on the runner's firing; each seller's final average does not.
    if (query == 6) {
      @SuppressWarnings("unchecked")
      PCollection<Model.SellerPrice> sellerPrices = (PCollection<Model.SellerPrice>) results;
      sellerPrices.apply("FinalAverages", new FinalAverages());
    }

    long start = System.nanoTime();
    PipelineResult result = p.run();
    PipelineResult.State state = result.waitUntilFinish();
    double runtimeSec = (System.nanoTime() - start) / 1e9;
    if (state != PipelineResult.State.DONE) throw new IllegalStateException("pipeline ended in state " + state);
    long resultCount = counter(result, "results");
    String finalAverages = query != 6 ? "" : String.format(Locale.ROOT, ",\"finalAverages\":{\"sellers\":%d,\"sum\":%d,\"digest\":%d}",
        counter(result, FinalAverages.SELLERS), counter(result, FinalAverages.SUM), counter(result, FinalAverages.DIGEST));
    // Flink's own net job runtime (without the local cluster's start-up), when available.
    Long jobRuntimeMs = flinkNetRuntimeMs(result);

    System.out.println(String.format(Locale.ROOT,
        "{\"query\":%d,\"system\":\"%s\",\"numEvents\":%d,\"eventsPerSec\":%.1f,\"resultCount\":%d,\"runtimeSec\":%.3f,\"version\":\"%s\"%s%s}",
        query, system, config.numEvents, config.numEvents / runtimeSec, resultCount, runtimeSec, ReleaseInfo.getReleaseInfo().getVersion(),
        jobRuntimeMs == null ? "" : String.format(Locale.ROOT, ",\"jobRuntimeSec\":%.3f", jobRuntimeMs / 1000.0), finalAverages));
    System.out.flush();
    // Flink's local cluster may leave non-daemon threads behind.
    System.exit(0);
  }

  private static <T> void countResults(PCollection<T> results) {
    results.apply("CountResults", ParDo.of(new DoFn<T, Void>() {
      private final Counter counter = Metrics.counter(Queries.NAMESPACE, "results");

      @ProcessElement
      public void process() {
        counter.inc();
      }
    }));
  }

  /** FlinkRunnerResult keeps Flink's JobExecutionResult.getNetRuntime() in a private field; null if absent. */
  private static Long flinkNetRuntimeMs(PipelineResult result) {
    if (!(result instanceof FlinkRunnerResult)) return null;
    try {
      java.lang.reflect.Field f = FlinkRunnerResult.class.getDeclaredField("runtime");
      f.setAccessible(true);
      long ms = f.getLong(result);
      return ms > 0 ? ms : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** The sum of a counter over the steps: committed if the runner has it, else attempted. */
  private static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics = result.metrics().queryMetrics(
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(Queries.NAMESPACE, name)).build());
    long sum = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      Long v;
      try {
        v = c.getCommitted();
      } catch (UnsupportedOperationException e) {
        v = c.getAttempted();
      }
      sum += v == null ? 0 : v;
    }
    return sum;
  }

  /** Prints the events of every generator in event id order, one JSON line each. */
  private static void dump(NexmarkConfig config) throws Exception {
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
    // The reader ignores its options (and building them scans the classpath: seconds).
    PipelineOptions options = null;
    for (EventSource generator : EventSource.of(config).generators()) {
      try (EventSource.Reader reader = (EventSource.Reader) generator.createReader(options)) {
        for (boolean more = reader.start(); more; more = reader.advance()) {
          out.print("{\"timestamp\":");
          out.print(reader.currentTimestampMillis());
          out.print(",\"event\":");
          out.print(reader.getCurrent().toJson());
          out.print("}\n");
        }
      }
    }
    out.flush();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (String a : args) {
      if (!a.startsWith("--") || !a.contains("=")) throw new IllegalArgumentException("expected --name=value, got " + a);
      int eq = a.indexOf('=');
      out.put(a.substring(2, eq), a.substring(eq + 1));
    }
    return out;
  }

  private static String require(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) throw new IllegalArgumentException("--" + name + " is required");
    return v;
  }
}
