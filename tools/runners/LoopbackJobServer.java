// Beam's Flink or Spark job server with every gRPC service bound to 127.0.0.1. The drivers'
// --job-host only names the address they announce: Beam's ServerFactory builds its servers
// with NettyServerBuilder.forPort(port), which listens on every interface, for the job
// service and the artifact staging service alike. This launcher builds the same driver
// (FlinkJobServerDriver / SparkJobServerDriver, through their private create method, the one
// their fromConfig calls) with a ServerFactory that binds the loopback address instead. The
// Java expansion service the driver also starts already binds --job-host.
//
//   java -cp <classpath> LoopbackJobServer.java flink|spark <the driver's own arguments>
//
// Run as a single-file source program on the job server's classpath (see job-services.mjs).
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.pipeline.v1.Endpoints.ApiServiceDescriptor;
import org.apache.beam.runners.jobsubmission.JobServerDriver;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.vendor.grpc.v1p69p0.io.grpc.BindableService;
import org.apache.beam.vendor.grpc.v1p69p0.io.grpc.Server;
import org.apache.beam.vendor.grpc.v1p69p0.io.grpc.netty.NettyServerBuilder;
import org.kohsuke.args4j.CmdLineParser;

public class LoopbackJobServer {
  /** Beam's InetSocketAddressServerFactory, bound to the loopback address. */
  static final class LoopbackServerFactory extends ServerFactory {
    @Override
    public Server allocateAddressAndCreate(List<BindableService> services, ApiServiceDescriptor.Builder builder) throws IOException {
      Server server = start(services, 0);
      builder.setUrl("127.0.0.1:" + server.getPort());
      return server;
    }

    @Override
    public Server create(List<BindableService> services, ApiServiceDescriptor descriptor) throws IOException {
      String url = descriptor.getUrl();
      return start(services, Integer.parseInt(url.substring(url.lastIndexOf(':') + 1)));
    }

    private static Server start(List<BindableService> services, int port) throws IOException {
      // The same limits as Beam's own factory: unbounded messages, client keep-alives every 20 s.
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
              .maxInboundMessageSize(Integer.MAX_VALUE)
              .permitKeepAliveTime(20, TimeUnit.SECONDS);
      for (BindableService service : services) builder.addService(service);
      return builder.build().start();
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || !(args[0].equals("flink") || args[0].equals("spark"))) {
      System.err.println("usage: LoopbackJobServer flink|spark <job server arguments>");
      System.exit(2);
    }
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    ServerFactory jobs = new LoopbackServerFactory();
    ServerFactory artifacts = new LoopbackServerFactory();
    JobServerDriver driver;
    if (args[0].equals("flink")) {
      Class<?> driverClass = Class.forName("org.apache.beam.runners.flink.FlinkJobServerDriver");
      Class<?> configClass = Class.forName("org.apache.beam.runners.flink.FlinkJobServerDriver$FlinkServerConfiguration");
      Object config = driverClass.getMethod("parseArgs", String[].class).invoke(null, (Object) rest);
      Class<?> invokerClass = Class.forName("org.apache.beam.runners.flink.FlinkJobInvoker");
      Method createInvoker = invokerClass.getMethod("create", configClass);
      JobServerDriver.JobInvokerFactory invokers = () -> {
        try {
          return (org.apache.beam.runners.jobsubmission.JobInvoker) createInvoker.invoke(null, config);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      };
      Method create = driverClass.getDeclaredMethod("create", configClass, ServerFactory.class, ServerFactory.class, JobServerDriver.JobInvokerFactory.class);
      create.setAccessible(true);
      driver = (JobServerDriver) create.invoke(null, config, jobs, artifacts, invokers);
    } else {
      Class<?> driverClass = Class.forName("org.apache.beam.runners.spark.SparkJobServerDriver");
      Class<?> configClass = Class.forName("org.apache.beam.runners.spark.SparkJobServerDriver$SparkServerConfiguration");
      Object config = configClass.getConstructor().newInstance();
      new CmdLineParser(config).parseArgument(rest);
      Method create = driverClass.getDeclaredMethod("create", configClass, ServerFactory.class, ServerFactory.class);
      create.setAccessible(true);
      driver = (JobServerDriver) create.invoke(null, config, jobs, artifacts);
    }
    driver.run();
  }
}
