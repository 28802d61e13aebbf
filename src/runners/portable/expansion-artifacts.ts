import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { JobFailedError } from "../../model/index.js";
import {
  ArtifactRetrievalServiceClient,
  type ResolveArtifactsResponse,
} from "../../proto/org/apache/beam/model/job_management/v1/beam_artifact_api.js";
import { ArtifactFilePayload, type ArtifactInformation, type Environment } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { artifactKey } from "./job-client.js";

const TYPES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardArtifacts.Types"];

/**
 * What the environments of expansions depend on, for artifact staging: local files (read
 * when the job service asks for them; a JVM classpath is large) and bytes fetched from an
 * expansion service.
 */
export class ExpansionArtifacts {
  private readonly files = new Map<string, string>();
  private readonly bytes = new Map<string, Uint8Array>();

  /**
   * Replaces each environment's dependencies with resolved ones, as Python's
   * ExternalTransform does: the expansion service's ArtifactRetrievalService resolves them
   * (Java's lists its classpath as `deferred` artifacts that resolve to jar files); files
   * that exist here are staged from disk, anything else is fetched from the service now.
   */
  async resolve(endpoint: string, environments: readonly Environment[]): Promise<void> {
    const pending = environments.filter((e) => e.dependencies.length > 0);
    if (pending.length === 0) return;
    const client = new ArtifactRetrievalServiceClient(endpoint, credentials.createInsecure(), { "grpc.max_receive_message_length": -1 });
    try {
      for (const env of pending) {
        const resolved = await resolveArtifacts(client, env.dependencies, endpoint);
        env.dependencies = [];
        for (const a of resolved) env.dependencies.push(await this.keep(client, a, endpoint));
      }
    } finally {
      client.close();
    }
  }

  /** The artifact contents of a job: `base` plus these. */
  withBase(base: ReadonlyMap<string, Uint8Array>): ReadonlyMap<string, Uint8Array> {
    if (this.files.size === 0 && this.bytes.size === 0) return base;
    return new ArtifactContents(new Map([...base, ...this.bytes]), this.files);
  }

  private async keep(client: InstanceType<typeof ArtifactRetrievalServiceClient>, a: ArtifactInformation, endpoint: string): Promise<ArtifactInformation> {
    if (a.typeUrn === TYPES.URL || a.typeUrn === TYPES.EMBEDDED) return a;
    if (a.typeUrn === TYPES.FILE) {
      const path = ArtifactFilePayload.decode(a.typePayload).path;
      if (existsSync(path)) {
        this.files.set(artifactKey(a), path);
        return a;
      }
    }
    const data = await getArtifact(client, a, endpoint);
    const sha256 = createHash("sha256").update(data).digest("hex");
    const file: ArtifactInformation = {
      typeUrn: TYPES.FILE,
      typePayload: Buffer.from(ArtifactFilePayload.encode({ path: `${endpoint}/${sha256}`, sha256 }).finish()),
      roleUrn: a.roleUrn,
      rolePayload: a.rolePayload,
    };
    this.bytes.set(artifactKey(file), data);
    return file;
  }
}

function resolveArtifacts(
  client: InstanceType<typeof ArtifactRetrievalServiceClient>,
  artifacts: ArtifactInformation[],
  endpoint: string,
): Promise<ArtifactInformation[]> {
  return new Promise((resolve, reject) =>
    client.resolveArtifacts({ artifacts, preferredUrns: [TYPES.FILE, TYPES.URL] }, (err, res: ResolveArtifactsResponse) =>
      err
        ? reject(new JobFailedError(`The expansion service at ${endpoint} could not resolve its environment's artifacts: ${err.message}`, { cause: err }))
        : resolve(res.replacements),
    ),
  );
}

function getArtifact(client: InstanceType<typeof ArtifactRetrievalServiceClient>, artifact: ArtifactInformation, endpoint: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = client.getArtifact({ artifact });
    stream.on("data", (r: { data: Buffer }) => chunks.push(r.data));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", (err: Error) =>
      reject(new JobFailedError(`Fetching an artifact (${artifact.typeUrn}) from the expansion service at ${endpoint} failed: ${err.message}`, { cause: err })),
    );
  });
}

/** Artifact bytes by key; files are read when asked for. */
class ArtifactContents extends Map<string, Uint8Array> {
  constructor(
    base: ReadonlyMap<string, Uint8Array>,
    private readonly files: ReadonlyMap<string, string>,
  ) {
    super(base);
  }

  override get(key: string): Uint8Array | undefined {
    const file = this.files.get(key);
    return super.get(key) ?? (file === undefined ? undefined : readFileSync(file));
  }

  override has(key: string): boolean {
    return super.has(key) || this.files.has(key);
  }
}
