package beamts.peers.nexmark;

import beamts.peers.nexmark.EventGenerator.TimestampedEvent;
import beamts.peers.nexmark.Model.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Instant;

/**
 * The bounded Nexmark source: the events of one GeneratorConfig, timestamped with their
 * event time. The whole run's source splits into {@code numEventGenerators} generators,
 * exactly as Beam's BoundedEventSource and beam-ts's source (bench/nexmark/source.ts) do.
 */
final class EventSource extends BoundedSource<Event> {
  private static final long serialVersionUID = 1L;

  private final GeneratorConfig config;
  private final int numEventGenerators;

  EventSource(GeneratorConfig config, int numEventGenerators) {
    this.config = config;
    this.numEventGenerators = numEventGenerators;
  }

  /** The source of a whole run. */
  static EventSource of(NexmarkConfig configuration) {
    return new EventSource(GeneratorConfig.standard(configuration), configuration.numEventGenerators);
  }

  /** One source per generator, in event id order. */
  List<EventSource> generators() {
    List<EventSource> out = new ArrayList<>();
    for (GeneratorConfig c : config.split(numEventGenerators)) out.add(new EventSource(c, 1));
    return out;
  }

  @Override
  public List<? extends BoundedSource<Event>> split(long desiredBundleSizeBytes, PipelineOptions options) {
    return generators();
  }

  @Override
  public long getEstimatedSizeBytes(PipelineOptions options) {
    return config.estimatedBytesForEvents(config.maxEvents);
  }

  @Override
  public BoundedReader<Event> createReader(PipelineOptions options) {
    return new Reader(this);
  }

  @Override
  public Coder<Event> getOutputCoder() {
    return NexmarkCoders.EventCoder.INSTANCE;
  }

  @Override
  public String toString() {
    return "EventSource(" + config + ", " + numEventGenerators + " generators)";
  }

  /** Reads one generator's events in order (all generators' in turn if the source was not split). */
  static final class Reader extends BoundedReader<Event> {
    private final EventSource source;
    private final List<GeneratorConfig> generators;
    private final Random random = new Random();
    private int generator = 0;
    private long count = 0;
    private TimestampedEvent current;

    Reader(EventSource source) {
      this.source = source;
      this.generators = source.config.split(source.numEventGenerators);
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      while (generator < generators.size()) {
        GeneratorConfig g = generators.get(generator);
        if (count < g.maxEvents) {
          current = EventGenerator.eventAt(g, count++, random);
          return true;
        }
        generator++;
        count = 0;
      }
      current = null;
      return false;
    }

    @Override
    public Event getCurrent() {
      if (current == null) throw new NoSuchElementException();
      return current.event();
    }

    @Override
    public Instant getCurrentTimestamp() {
      if (current == null) throw new NoSuchElementException();
      return new Instant(current.timestamp());
    }

    /** The current event's event time, without an Instant. */
    long currentTimestampMillis() {
      return current.timestamp();
    }

    @Override
    public void close() {}

    @Override
    public Double getFractionConsumed() {
      long done = 0;
      long total = 0;
      for (int i = 0; i < generators.size(); i++) {
        long n = generators.get(i).maxEvents;
        total += n;
        if (i < generator) done += n;
        else if (i == generator) done += count;
      }
      return total == 0 ? 1.0 : (double) done / total;
    }

    @Override
    public EventSource getCurrentSource() {
      return source;
    }
  }
}
