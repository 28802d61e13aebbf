import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { MetricsContainer } from "../metrics/index.js";
import type { PipelineGraph } from "../pipeline/index.js";
import { BeamFnExternalWorkerPoolService, type BeamFnExternalWorkerPoolServer } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { FnHarness } from "./fn-harness.js";

/**
 * Beam's external worker pool (`beam:env:external:v1`) in this process, bound to
 * 127.0.0.1: a runner calls StartWorker, and a harness for this process's pipeline
 * connects back to the runner's control endpoint (Beam's LOOPBACK mode).
 */
export class WorkerPool {
  private readonly server = new Server();
  private readonly workers = new Map<string, FnHarness>();
  private readonly closing = new Set<Promise<void>>();
  private port = 0;

  constructor(
    private readonly graph: PipelineGraph,
    /** Told of every bundle that failed in this process's workers. */
    private readonly onError: (err: unknown) => void = () => {},
    /** Told of every bundle's metrics (committed when it succeeded). */
    private readonly onMetrics: (containers: readonly MetricsContainer[], committed: boolean) => void = () => {},
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  start(): Promise<string> {
    const impl: BeamFnExternalWorkerPoolServer = {
      startWorker: (call, callback) => {
        const req = call.request;
        const control = req.controlEndpoint?.url ?? "";
        const harness = new FnHarness(control, req.workerId, this.graph, this.onError, this.onMetrics);
        this.workers.set(req.workerId, harness);
        // When the runner ends the control stream the worker is done: tear its DoFns down
        // (Beam's teardown) before the pool can report itself stopped.
        const closing = harness
          .run()
          .catch(() => {})
          .then(() => harness.close())
          .finally(() => {
            this.workers.delete(req.workerId);
            this.closing.delete(closing);
          });
        this.closing.add(closing);
        callback(null, { error: "" });
      },
      stopWorker: (call, callback) => {
        void this.workers.get(call.request.workerId)?.close();
        this.workers.delete(call.request.workerId);
        callback(null, { error: "" });
      },
    };
    this.server.addService(BeamFnExternalWorkerPoolService, impl);
    return new Promise((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        this.port = port;
        resolve(this.endpoint);
      }),
    );
  }

  async stop(): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all([...workers.map((w) => w.close()), ...this.closing]);
    // The runner may keep its connection to the pool open: do not wait for it.
    this.server.forceShutdown();
  }
}
