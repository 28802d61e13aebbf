import { BeamError } from "../../model/index.js";
import type { AccessTokenSource } from "./dataflow-credentials.js";
import type { DataflowJob } from "./job-request.js";

/** A failed call to the Dataflow API: the HTTP status, the API's status and message, and a hint. */
export class DataflowApiError extends BeamError {
  constructor(
    message: string,
    /** The HTTP status, when the API answered. */
    readonly httpStatus: number | undefined,
    options?: { cause?: unknown },
  ) {
    super("DATAFLOW_API", message, options);
    this.name = "DataflowApiError";
  }
}

/** A job message (v1b3 JobMessage) as `messages` returns it. */
export interface DataflowJobMessage {
  readonly time?: string;
  readonly messageImportance?: string;
  readonly messageText?: string;
}

/**
 * The Dataflow v1b3 REST API for one project and region: jobs.create, get, update (cancel,
 * drain), list (to find the job --update replaces) and messages, with an OAuth2 bearer token
 * on every request. Errors are DataflowApiErrors that say what to do; the token never
 * appears in one.
 */
export class DataflowClient {
  constructor(
    private readonly endpoint: string,
    private readonly project: string,
    private readonly region: string,
    private readonly token: AccessTokenSource,
  ) {}

  /** projects.locations.jobs.create: the created job, with its id. */
  async create(job: DataflowJob): Promise<DataflowJob> {
    return (await this.call("create the job", "POST", "", job)) as DataflowJob;
  }

  /** projects.locations.jobs.get (JOB_VIEW_SUMMARY): the job's current state and more. */
  async get(jobId: string): Promise<DataflowJob> {
    return (await this.call(`get job ${jobId}`, "GET", `/${encodeURIComponent(jobId)}`)) as DataflowJob;
  }

  /** projects.locations.jobs.update with a requested state: JOB_STATE_CANCELLED or JOB_STATE_DRAINING. */
  async requestState(jobId: string, state: "JOB_STATE_CANCELLED" | "JOB_STATE_DRAINING"): Promise<void> {
    await this.call(`${state === "JOB_STATE_CANCELLED" ? "cancel" : "drain"} job ${jobId}`, "PUT", `/${encodeURIComponent(jobId)}`, { requestedState: state });
  }

  /**
   * The id of the active job named `name` (running or draining), as Beam Python's
   * job_id_for_name finds the job `--update` replaces; undefined when there is none.
   */
  async activeJobNamed(name: string): Promise<string | undefined> {
    let pageToken: string | undefined;
    do {
      const query = `?filter=ACTIVE${pageToken !== undefined ? `&pageToken=${encodeURIComponent(pageToken)}` : ""}`;
      const page = (await this.call("list the active jobs", "GET", query)) as { jobs?: DataflowJob[]; nextPageToken?: string };
      const found = (page.jobs ?? []).find((j) => j.name === name && (j.currentState === "JOB_STATE_RUNNING" || j.currentState === "JOB_STATE_DRAINING"));
      if (found?.id !== undefined) return found.id;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && pageToken !== "");
    return undefined;
  }

  /** projects.locations.jobs.messages.list: the job's messages of at least `importance`. */
  async messages(jobId: string, importance: "JOB_MESSAGE_ERROR" | "JOB_MESSAGE_WARNING" | "JOB_MESSAGE_BASIC"): Promise<DataflowJobMessage[]> {
    const page = (await this.call(`list the messages of job ${jobId}`, "GET", `/${encodeURIComponent(jobId)}/messages?minimumImportance=${importance}`)) as {
      jobMessages?: DataflowJobMessage[];
    };
    return page.jobMessages ?? [];
  }

  /** The console page of a job (as Beam Python prints it). */
  consoleUrl(jobId: string): string {
    return `https://console.cloud.google.com/dataflow/jobs/${this.region}/${jobId}?project=${this.project}`;
  }

  private async call(what: string, method: "GET" | "POST" | "PUT", suffix: string, body?: unknown): Promise<unknown> {
    const url = `${this.endpoint}/v1b3/projects/${encodeURIComponent(this.project)}/locations/${encodeURIComponent(this.region)}/jobs${suffix}`;
    const token = await this.token();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "user-agent": "beam-ts" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new DataflowApiError(
        `Dataflow API: could not ${what} at ${this.endpoint}: ${cause?.code ?? (err as Error).message}. Check --dataflowEndpoint and the network.`,
        undefined,
        { cause: err },
      );
    }
    const text = await response.text();
    if (!response.ok) throw apiError(what, response.status, text, this.project, this.region);
    try {
      return text === "" ? {} : (JSON.parse(text) as unknown);
    } catch (err) {
      throw new DataflowApiError(`Dataflow API: the answer to "${what}" is not JSON (HTTP ${response.status}): ${text.slice(0, 200)}`, response.status, { cause: err });
    }
  }
}

/** The API's error (`{"error": {"code", "message", "status"}}`) with a hint for the statuses a submitter can fix. */
function apiError(what: string, status: number, body: string, project: string, region: string): DataflowApiError {
  let apiStatus = "";
  let message = body.slice(0, 500);
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string; status?: string } };
    if (parsed.error !== undefined) {
      apiStatus = parsed.error.status ?? "";
      message = parsed.error.message ?? message;
    }
  } catch {
    // Not JSON (a proxy's page): the text as it came.
  }
  const hint =
    status === 401 || status === 403
      ? ` Check the credentials (GOOGLE_APPLICATION_CREDENTIALS or \`gcloud auth application-default login\`), that the Dataflow API is enabled in project ${project}, and that the account may create Dataflow jobs there (roles/dataflow.developer).`
      : status === 404
        ? ` Check --project=${project} and --region=${region} (a Dataflow regional endpoint, e.g. us-central1).`
        : status === 409
          ? " A job of this name is already running: choose another --jobName, or replace it with --update."
          : status === 400
            ? " The request was refused as invalid: the message says which field."
            : "";
  return new DataflowApiError(`Dataflow API: could not ${what}: HTTP ${status}${apiStatus !== "" ? ` ${apiStatus}` : ""}: ${message}.${hint}`, status);
}
