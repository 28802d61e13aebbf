import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import { Pipeline } from "../pipeline/index.js";
import { WorkerPool } from "../harness/index.js";
import { schemaToProto } from "../runners/index.js";
import {
  ArtifactRetrievalServiceService,
  type ArtifactRetrievalServiceServer,
} from "../proto/org/apache/beam/model/job_management/v1/beam_artifact_api.js";
import {
  ExpansionServiceService,
  type ExpansionServiceServer,
  type SchemaTransformConfig,
} from "../proto/org/apache/beam/model/job_management/v1/beam_expansion_api.js";
import { expandRequest } from "./expand.js";
import { builtinTransforms } from "./builtin-transforms.js";
import { defaultRegistry, type ServedTransformRegistry } from "./registry.js";

/** Where an expansion service listens and what it serves. */
export interface ExpansionServiceOptions {
  /** Address to bind; 127.0.0.1 unless given. */
  readonly host?: string;
  /** Port to bind; 0 (the default) lets the OS choose. */
  readonly port?: number;
  /** The transforms to serve; the process's registry (built-ins and registerExternalTransform) unless given. */
  readonly registry?: ServedTransformRegistry;
  /** Told of every bundle that failed in the service's workers, and of every expansion error. */
  readonly onError?: (err: unknown) => void;
}

/**
 * Beam's ExpansionService for beam-ts transforms: other SDKs' pipelines (Python's
 * `beam.ExternalTransform(urn, payload, "host:port")`, Java's `External.of(...)`) expand
 * registered beam-ts transforms by URN here. The expansions run in this process: the
 * service also serves a Beam external worker pool (`beam:env:external:v1`, 127.0.0.1),
 * which the expansions name as their environment, so the runner that runs the caller's
 * pipeline starts beam-ts workers here. The process must therefore stay up while those jobs
 * run. Also serves ArtifactRetrievalService (there are never artifacts to fetch) and
 * DiscoverSchemaTransform (transforms that declare a configuration schema).
 */
export class ExpansionService {
  private readonly server = new Server({ "grpc.max_receive_message_length": -1, "grpc.max_send_message_length": -1 });
  /** Every expansion of this service lives in this pipeline; the worker pool serves its graph. */
  private readonly pipeline = new Pipeline({});
  private readonly registry: ServedTransformRegistry;
  private readonly pool: WorkerPool;
  private serial = 0;
  private bound = "";

  constructor(private readonly options: ExpansionServiceOptions = {}) {
    this.registry = options.registry ?? builtinTransforms(defaultRegistry);
    this.pool = new WorkerPool(this.pipeline.graph(), (err) => options.onError?.(err));
  }

  /** host:port the service listens on (after `start`). */
  get endpoint(): string {
    return this.bound;
  }

  /** The worker pool's host:port (after `start`). */
  get workerEndpoint(): string {
    return this.pool.endpoint;
  }

  /** The URNs served. */
  urns(): string[] {
    return this.registry.urns();
  }

  async start(): Promise<string> {
    const workerEndpoint = await this.pool.start();
    const expansion: ExpansionServiceServer = {
      expand: (call, callback) => {
        const response = expandRequest(call.request, {
          pipeline: this.pipeline,
          registry: this.registry,
          workerEndpoint,
          nextSerial: () => ++this.serial,
        });
        if (response.error !== "") this.options.onError?.(new Error(response.error));
        callback(null, response);
      },
      discoverSchemaTransform: (_call, callback) => {
        const configs: Record<string, SchemaTransformConfig> = {};
        for (const [urn, t] of this.registry.entries()) {
          if (t.configSchema === undefined) continue;
          configs[urn] = {
            configSchema: schemaToProto(t.configSchema),
            inputPcollectionNames: [...(t.inputs ?? [])],
            outputPcollectionNames: [...(t.outputs ?? [])],
            description: t.description ?? "",
          };
        }
        callback(null, { schemaTransformConfigs: configs, error: "" });
      },
    };
    // Callers may ask to resolve their expansions' artifacts (Python does when there are
    // any); beam-ts environments have none.
    const artifacts: ArtifactRetrievalServiceServer = {
      resolveArtifacts: (call, callback) => callback(null, { replacements: call.request.artifacts }),
      getArtifact: (call) => call.emit("error", { code: status.NOT_FOUND, details: "beam-ts expansion services stage no artifacts." }),
    };
    this.server.addService(ExpansionServiceService, expansion);
    this.server.addService(ArtifactRetrievalServiceService, artifacts);
    const host = this.options.host ?? "127.0.0.1";
    const address = host.includes(":") ? `[${host}]:${this.options.port ?? 0}` : `${host}:${this.options.port ?? 0}`;
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.bound = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return this.bound;
  }

  async stop(): Promise<void> {
    await this.pool.stop();
    this.server.forceShutdown();
  }
}
