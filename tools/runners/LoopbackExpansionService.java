// Beam's Java expansion service bound to 127.0.0.1 (ExpansionService.main listens on every
// interface). Run as a single-file source program on a classpath that holds
// beam-sdks-java-expansion-service and the transforms to serve (see job-services.mjs):
//
//   java -cp <classpath> LoopbackExpansionService.java <port|0> [--serveWorkerPool] [pipeline options]
//
// --defaultEnvironmentType=EMBEDDED gives the Java transforms Beam's embedded environment
// (run inside a Java runner). --serveWorkerPool with --defaultEnvironmentType=EXTERNAL
// --defaultEnvironmentConfig=127.0.0.1:<port2> also serves Beam's Java worker pool
// (ExternalWorkerService) there, so runners without a JVM (Prism) can run the Java
// transforms: each StartWorker runs a Java SDK harness in this process.
//
// Prints "Serving expansion service on 127.0.0.1:<port>" once it accepts connections.
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.pipeline.v1.Endpoints.ApiServiceDescriptor;
import org.apache.beam.sdk.fn.server.GrpcFnServer;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.sdk.options.PortablePipelineOptions;
import org.apache.beam.sdk.util.construction.Environments;
import org.apache.beam.vendor.grpc.v1p69p0.io.grpc.BindableService;
import org.apache.beam.vendor.grpc.v1p69p0.io.grpc.Server;
import org.apache.beam.vendor.grpc.v1p69p0.io.grpc.netty.NettyServerBuilder;
import org.apache.beam.fn.harness.ExternalWorkerService;
import org.apache.beam.sdk.expansion.service.ExpansionServer;
import org.apache.beam.sdk.expansion.service.ExpansionService;
import org.apache.beam.sdk.expansion.service.ExpansionServiceOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

public class LoopbackExpansionService {
  /** A ServerFactory that binds the loopback address (as in LoopbackJobServer.java). */
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
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
              .maxInboundMessageSize(Integer.MAX_VALUE)
              .permitKeepAliveTime(20, TimeUnit.SECONDS);
      for (BindableService service : services) builder.addService(service);
      return builder.build().start();
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LoopbackExpansionService <port|0> [pipeline options]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    boolean serveWorkerPool = false;
    List<String> optionArgs = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--serveWorkerPool")) {
        serveWorkerPool = true;
      } else {
        optionArgs.add(args[i]);
      }
    }
    PipelineOptionsFactory.register(ExpansionServiceOptions.class);
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(optionArgs.toArray(new String[0])).create();
    if (serveWorkerPool) {
      // ExternalWorkerService.start() would listen on every interface (Beam's ServerFactory
      // binds NettyServerBuilder.forPort); serve it on the loopback address of
      // --defaultEnvironmentConfig instead.
      String address = Environments.getExternalServiceAddress(options.as(PortablePipelineOptions.class));
      GrpcFnServer<ExternalWorkerService> pool =
          GrpcFnServer.create(
              new ExternalWorkerService(options),
              ApiServiceDescriptor.newBuilder().setUrl(address).build(),
              new LoopbackServerFactory());
      System.out.println("Serving Java worker pool on " + pool.getApiServiceDescriptor().getUrl());
    }
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
