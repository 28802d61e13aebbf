import {
  DockerPayload,
  ExternalPayload,
  ProcessPayload,
  type ArtifactInformation,
  type Environment,
} from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";

const ENVIRONMENTS = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardEnvironments.Environments"];

/**
 * How the worker environment of the translated pipeline is described (Beam's standard
 * environments): `external` is a BeamFnExternalWorkerPool at `endpoint` (LOOPBACK's pool in
 * the submitting process, or a `beam-ts worker-pool`), `process` a boot command the runner
 * starts on its own hosts, `docker` a container image whose entrypoint is `beam-ts boot`.
 * `dependencies` are the staged artifacts (the pipeline bundle and its fingerprint); a
 * LOOPBACK environment has none, because its workers use the submitter's own graph.
 */
export interface EnvironmentOptions {
  readonly type: "external" | "process" | "docker";
  /** `external`: host:port of the worker pool. */
  readonly endpoint?: string;
  /** `process`: the executable the runner starts with Beam's boot flags (--id, --provision_endpoint, ...). */
  readonly command?: string;
  /** `process`: environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** `docker`: the container image. */
  readonly image?: string;
  readonly dependencies?: readonly ArtifactInformation[];
}

/** The Runner API Environment for `env`, declaring what a beam-ts worker understands. */
export function environmentProto(env: EnvironmentOptions, capabilities: readonly string[]): Environment {
  const dependencies = [...(env.dependencies ?? [])];
  const common = { displayData: [], capabilities: [...capabilities], dependencies, resourceHints: {} };
  switch (env.type) {
    case "process": {
      const payload = ProcessPayload.encode({ os: "", arch: "", command: env.command ?? "", env: { ...env.env } }).finish();
      return { urn: ENVIRONMENTS.PROCESS, payload: Buffer.from(payload), ...common };
    }
    case "docker": {
      const payload = DockerPayload.encode({ containerImage: env.image ?? "" }).finish();
      return { urn: ENVIRONMENTS.DOCKER, payload: Buffer.from(payload), ...common };
    }
    case "external": {
      const payload = ExternalPayload.encode({ endpoint: { url: env.endpoint ?? "", authentication: undefined }, params: {} }).finish();
      return { urn: ENVIRONMENTS.EXTERNAL, payload: Buffer.from(payload), ...common };
    }
  }
}
