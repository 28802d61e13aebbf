// Beam's Java expansion service bound to 127.0.0.1 (ExpansionService.main listens on every
// interface). Run as a single-file source program on a classpath that holds
// beam-sdks-java-expansion-service and the transforms to serve (see job-services.mjs):
//
//   java -cp <classpath> LoopbackExpansionService.java <port|0> [--defaultEnvironmentType=EMBEDDED ...]
//
// Prints "Serving expansion service on 127.0.0.1:<port>" once it accepts connections.
import java.util.Arrays;
import org.apache.beam.sdk.expansion.service.ExpansionServer;
import org.apache.beam.sdk.expansion.service.ExpansionService;
import org.apache.beam.sdk.expansion.service.ExpansionServiceOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

public class LoopbackExpansionService {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LoopbackExpansionService <port|0> [pipeline options]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    PipelineOptionsFactory.register(ExpansionServiceOptions.class);
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(Arrays.copyOfRange(args, 1, args.length)).create();
    ExpansionServer server = ExpansionServer.create(new ExpansionService(options), "127.0.0.1", port);
    System.out.println("Serving expansion service on " + server.getHost() + ":" + server.getPort());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                  } catch (Exception e) {
                    // exiting anyway
                  }
                }));
    Thread.currentThread().join();
  }
}
