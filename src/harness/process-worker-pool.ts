import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { StdioOptions } from "node:child_process";
import { BeamFnExternalWorkerPoolService, type BeamFnExternalWorkerPoolServer } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { bootWorker, type WorkerProcess } from "./boot.js";

/**
 * Beam's external worker pool (`beam:env:external:v1`) as a service of its own, like Beam
 * Python's worker_pool_main: every StartWorker runs the boot logic for that worker (provision
 * info, artifact retrieval) and starts the staged pipeline bundle in a child process;
 * StopWorker stops it. `beam-ts worker-pool --port=<port>` serves one; jobs name it with
 * `--environmentType=EXTERNAL --environmentConfig=host:port`.
 */
export class ProcessWorkerPool {
  private readonly server = new Server();
  private readonly workers = new Map<string, WorkerProcess>();
  private boundPort = 0;

  constructor(
    private readonly host = "127.0.0.1",
    private readonly port = 0,
    /** Where the workers' stdout and stderr go. */
    private readonly stdio: StdioOptions = "inherit",
    /** Told of each worker that could not be booted. */
    private readonly onBootError: (workerId: string, err: unknown) => void = () => {},
  ) {}

  /** host:port the pool serves on (after `start`). */
  get endpoint(): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  start(): Promise<string> {
    const impl: BeamFnExternalWorkerPoolServer = {
      startWorker: (call, callback) => {
        const req = call.request;
        // Answer at once and boot in the background: a runner may treat a StartWorker error
        // as fatal for itself (Prism panics); boot reports its failures on the control stream.
        callback(null, { error: "" });
        if (!req.provisionEndpoint?.url) {
          this.onBootError(req.workerId, new Error("StartWorker without a provision endpoint."));
          return;
        }
        bootWorker(
          {
            id: req.workerId,
            provisionEndpoint: req.provisionEndpoint.url,
            controlEndpoint: req.controlEndpoint?.url,
            artifactEndpoint: req.artifactEndpoint?.url,
            loggingEndpoint: req.loggingEndpoint?.url,
          },
          this.stdio,
        ).then(
          (worker) => {
            this.workers.set(req.workerId, worker);
            void worker.exited.then(() => {
              if (this.workers.get(req.workerId) === worker) this.workers.delete(req.workerId);
            });
          },
          (err: unknown) => this.onBootError(req.workerId, err),
        );
      },
      stopWorker: (call, callback) => {
        this.workers.get(call.request.workerId)?.stop();
        callback(null, { error: "" });
      },
    };
    this.server.addService(BeamFnExternalWorkerPoolService, impl);
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`${this.host}:${this.port}`, ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        this.boundPort = port;
        resolve(this.endpoint);
      }),
    );
  }

  /** Stops every worker, waits for them to exit, and shuts the service down. */
  async stop(): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    for (const w of workers) w.stop();
    await Promise.all(workers.map((w) => w.exited));
    this.server.forceShutdown();
  }
}
