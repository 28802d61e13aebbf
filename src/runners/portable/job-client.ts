import { Metadata, credentials, status, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import type { ArtifactInformation, Pipeline as ProtoPipeline } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import {
  ArtifactStagingServiceClient,
  type ArtifactRequestWrapper,
  type ArtifactResponseWrapper,
} from "../../proto/org/apache/beam/model/job_management/v1/beam_artifact_api.js";
import {
  JobServiceClient,
  JobState_Enum,
  type JobInfo,
  type JobMessagesResponse,
  type JobStateEvent,
  type MetricResults,
  type PrepareJobResponse,
} from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { JobFailedError } from "../../model/index.js";

/** The terminal states of Beam's JobState. */
export const TERMINAL_STATES: ReadonlySet<JobState_Enum> = new Set([JobState_Enum.DONE, JobState_Enum.FAILED, JobState_Enum.CANCELLED, JobState_Enum.DRAINED, JobState_Enum.UPDATED]);

/** A Beam Job API client: prepare, stage artifacts, run, follow state, cancel. */
export class JobServiceConnection {
  private readonly client: JobServiceClient;

  constructor(readonly endpoint: string) {
    this.client = new JobServiceClient(endpoint, credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  prepare(pipeline: ProtoPipeline, options: Record<string, unknown>, jobName: string): Promise<PrepareJobResponse> {
    return new Promise((resolve, reject) =>
      this.client.prepare({ pipeline, pipelineOptions: options, jobName }, (err, res) => (err ? reject(wrap("prepare", this.endpoint, err)) : resolve(res))),
    );
  }

  /**
   * Beam's artifact staging (ReverseArtifactRetrievalService): the job service asks for
   * the environments' artifacts and we answer. `artifacts` maps `artifactKey(artifact)` to
   * its bytes; resolve requests are answered with what they asked (nothing to replace).
   * Bytes go in chunks of at most 1 MB, then an empty message with `isLast` (Prism keeps
   * only the data of messages before the last; Java's staging service takes either).
   */
  stageArtifacts(prepared: PrepareJobResponse, artifacts: ReadonlyMap<string, Uint8Array> = new Map()): Promise<void> {
    const url = prepared.artifactStagingEndpoint?.url || this.endpoint;
    const staging = new ArtifactStagingServiceClient(url, credentials.createInsecure());
    return new Promise<void>((resolve, reject) => {
      const stream: ClientDuplexStream<ArtifactResponseWrapper, ArtifactRequestWrapper> = staging.reverseArtifactRetrievalService();
      let failure: Error | undefined;
      stream.on("data", (req: ArtifactRequestWrapper) => {
        const r = req.request;
        if (r?.$case === "resolveArtifact") {
          stream.write({
            stagingToken: "",
            isLast: true,
            response: { $case: "resolveArtifactResponse", resolveArtifactResponse: { replacements: r.resolveArtifact.artifacts } },
          });
        } else if (r?.$case === "getArtifact") {
          const asked = r.getArtifact.artifact;
          const data = asked === undefined ? undefined : artifacts.get(artifactKey(asked));
          if (data === undefined) {
            failure = new JobFailedError(`Job service at ${url}: artifact staging asked for an artifact this job did not stage (${asked?.typeUrn ?? "none"}).`);
            stream.cancel();
            return;
          }
          for (let at = 0; at < data.length; at += ARTIFACT_CHUNK) {
            const chunk = Buffer.from(data.subarray(at, at + ARTIFACT_CHUNK));
            stream.write({ stagingToken: "", isLast: false, response: { $case: "getArtifactResponse", getArtifactResponse: { data: chunk } } });
          }
          stream.write({ stagingToken: "", isLast: true, response: { $case: "getArtifactResponse", getArtifactResponse: { data: Buffer.alloc(0) } } });
        }
      });
      stream.on("error", (err) => {
        staging.close();
        reject(failure ?? wrap("artifact staging", url, err));
      });
      stream.on("end", () => {
        stream.end();
        staging.close();
        resolve();
      });
      // The first message names the staging session.
      stream.write({ stagingToken: prepared.stagingSessionToken, isLast: false, response: undefined });
    });
  }

  run(preparationId: string): Promise<string> {
    return new Promise((resolve, reject) =>
      this.client.run({ preparationId, retrievalToken: "" }, (err, res) => (err ? reject(wrap("run", this.endpoint, err)) : resolve(res.jobId))),
    );
  }

  /** Resolves with the job's terminal state, following the state stream. */
  waitForTerminal(jobId: string, onState?: (s: JobState_Enum) => void): Promise<JobState_Enum> {
    return new Promise((resolve, reject) => {
      const stream = this.client.getStateStream({ jobId });
      let done = false;
      const finish = (state: JobState_Enum) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        stream.cancel();
        resolve(state);
      };
      stream.on("data", (e: JobStateEvent) => {
        onState?.(e.state);
        if (TERMINAL_STATES.has(e.state)) finish(e.state);
      });
      stream.on("error", (err: Error & { code?: number }) => {
        if (!done) {
          clearInterval(poll);
          reject(wrap("getStateStream", this.endpoint, err));
        }
      });
      // A job that ends before the stream is set up may never be reported on it: poll too.
      const poll = setInterval(() => {
        this.client.getState({ jobId }, (err, e) => {
          if (!err && TERMINAL_STATES.has(e.state)) finish(e.state);
        });
      }, 500);
    });
  }

  /**
   * The job's messages (errors from the runner end up here); `onEnd` is told when the
   * runner ends the stream (Prism sends the failure's cause last, then ends it).
   */
  messages(jobId: string, onMessage: (text: string) => void, onEnd?: () => void): () => void {
    const stream = this.client.getMessageStream({ jobId });
    stream.on("data", (m: { response?: { $case: string; messageResponse?: { messageText: string } } }) => {
      if (m.response?.$case === "messageResponse" && m.response.messageResponse) onMessage(m.response.messageResponse.messageText);
    });
    stream.on("error", () => onEnd?.());
    stream.on("end", () => onEnd?.());
    return () => stream.cancel();
  }

  /** The job's metrics (GetJobMetrics), or undefined when the job service does not give them (within 30 s). */
  metrics(jobId: string): Promise<MetricResults | undefined> {
    return new Promise((resolve) =>
      this.client.getJobMetrics({ jobId }, new Metadata(), { deadline: Date.now() + 30_000 }, (err, res) => resolve(err ? undefined : res.metrics)),
    );
  }

  cancel(jobId: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.cancel({ jobId }, (err) => (err ? reject(wrap("cancel", this.endpoint, err)) : resolve())));
  }

  /** Every job the service knows (GetJobs): running and, while the service keeps them, ended ones. */
  jobs(): Promise<JobInfo[]> {
    return new Promise((resolve, reject) =>
      this.client.getJobs({}, new Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (err, res) =>
        err ? reject(wrap("getJobs", this.endpoint, err)) : resolve(res.jobInfo),
      ),
    );
  }

  /** The job's current state (GetState); rejects when the service does not know the job. */
  state(jobId: string): Promise<JobStateEvent> {
    return new Promise((resolve, reject) =>
      this.client.getState({ jobId }, new Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (err, res) =>
        err ? reject(wrap(`getState of job ${jobId}`, this.endpoint, err)) : resolve(res),
      ),
    );
  }

  /**
   * Asks the runner to drain the job (Beam's Job API Drain: sources stop reading, the data
   * in flight is processed, splittable DoFns are truncated). Resolves with the state the
   * runner answers (DRAINING or a terminal state), or `"unimplemented"` when the job
   * service has no Drain (Prism and Beam's Java job servers through 2.77 answer
   * UNIMPLEMENTED); never falls back to a cancel.
   */
  drain(jobId: string): Promise<JobState_Enum | "unimplemented"> {
    return new Promise((resolve, reject) =>
      this.client.drain({ jobId }, new Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (err, res) => {
        if (err === null) resolve(res.state);
        else if (err.code === status.UNIMPLEMENTED) resolve("unimplemented");
        else reject(wrap(`drain of job ${jobId}`, this.endpoint, err));
      }),
    );
  }

  /**
   * The job's messages and state changes as the runner sends them (GetMessageStream),
   * until the runner ends the stream (Prism does when the job ends) or the returned
   * function is called; `onEnd` is told either way, with the error if the stream failed.
   */
  events(jobId: string, onEvent: (event: JobMessagesResponse) => void, onEnd: (err?: Error) => void): () => void {
    const stream = this.client.getMessageStream({ jobId });
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    stream.on("data", onEvent);
    stream.on("error", (err: ServiceError) => end(err.code === status.CANCELLED ? undefined : wrap(`getMessageStream of job ${jobId}`, this.endpoint, err)));
    stream.on("end", () => end());
    return () => {
      end();
      stream.cancel();
    };
  }
}

/** How long a unary Job API call may take before it is reported as failed. */
const RPC_DEADLINE_MS = 30_000;

/** Artifact bytes per staging message: well below gRPC's default 4 MB message limit. */
const ARTIFACT_CHUNK = 1 << 20;

/** The key of an artifact in `stageArtifacts`' map: its type and type payload, which identify its bytes. */
export function artifactKey(artifact: Pick<ArtifactInformation, "typeUrn" | "typePayload">): string {
  return `${artifact.typeUrn}\u0000${Buffer.from(artifact.typePayload).toString("hex")}`;
}

function wrap(what: string, endpoint: string, err: Error & { code?: number }): Error {
  if (err.code === status.UNAVAILABLE) {
    return new JobFailedError(
      `Job service at ${endpoint}: ${what} failed: no job service answers there. Check the endpoint (--jobEndpoint) and that the job service is running.`,
      { cause: err },
    );
  }
  return new JobFailedError(`Job service at ${endpoint}: ${what} failed: ${err.message}`, { cause: err });
}
