import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DISCOVERY, jobRuleProblems, problemsOf } from "./dataflow-schema.js";

/** One request the fake Dataflow API received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/** How the fake answers. */
export interface FakeDataflowOptions {
  readonly project: string;
  readonly region: string;
  /** The bearer token requests must carry; it is also what the metadata server hands out. */
  readonly token: string;
  /** The states successive GETs of a created job report; the last one repeats. */
  readonly states?: readonly string[];
  /** Error messages of a failed job (messages.list). */
  readonly errorMessages?: readonly string[];
  /** Active jobs jobs.list reports (for --update). */
  readonly activeJobs?: readonly { id: string; name: string; currentState: string }[];
  /** Answer a create with an existing job (another clientRequestId), as Dataflow does for a duplicate name. */
  readonly duplicate?: boolean;
  /** Answer a create with this HTTP status and a Google API error. */
  readonly failCreate?: { status: number; apiStatus: string; message: string };
}

/** A running fake. */
export interface FakeDataflow {
  readonly url: string;
  /** host:port, for GCE_METADATA_HOST. */
  readonly host: string;
  readonly requests: ReceivedRequest[];
  /** The schema problems of every create and update body (empty when all conformed). */
  readonly schemaProblems: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for the Dataflow v1b3 REST API on 127.0.0.1 (node:http), serving what the
 * submission client calls: jobs.create, get, update, list and messages.list under
 * v1b3/projects/{projectId}/locations/{location}/jobs, each checked against the published
 * method paths; create and update bodies are checked against the API's schemas (dataflow-
 * schema.ts) and answered 400 INVALID_ARGUMENT when they do not conform, as the API does. It
 * also serves a Compute Engine metadata server's token endpoint, so Application Default
 * Credentials can be exercised with GCE_METADATA_HOST pointing here.
 */
export async function startFakeDataflow(options: FakeDataflowOptions): Promise<FakeDataflow> {
  const requests: ReceivedRequest[] = [];
  const schemaProblems: string[] = [];
  const jobs = new Map<string, Record<string, unknown>>();
  const polls = new Map<string, number>();
  const overrides = new Map<string, string>();
  const base = methodPath("list", { projectId: options.project, location: options.region });
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => answer(res, 500, { error: { code: 500, message: String(err), status: "INTERNAL" } }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const text = await readBody(req);
    const body: unknown = text === "" ? undefined : JSON.parse(text);
    requests.push({ method: req.method ?? "", path: url.pathname + url.search, authorization: req.headers.authorization, body });
    if (url.pathname.startsWith("/computeMetadata/v1/")) return metadata(req, res, url.pathname);
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return answer(res, 401, { error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } });
    }
    if (!url.pathname.startsWith(base)) return answer(res, 404, { error: { code: 404, message: `No such project or location: ${url.pathname}`, status: "NOT_FOUND" } });
    const rest = url.pathname.slice(base.length).split("/").filter((s) => s !== "");
    if (rest.length === 0 && req.method === "POST") return create(res, body);
    if (rest.length === 0 && req.method === "GET") return answer(res, 200, { jobs: options.activeJobs ?? [] });
    const job = jobs.get(rest[0] ?? "");
    if (job === undefined) return answer(res, 404, { error: { code: 404, message: `No job ${rest[0]}`, status: "NOT_FOUND" } });
    if (rest.length === 1 && req.method === "GET") return answer(res, 200, { ...job, currentState: nextState(rest[0]!) });
    if (rest.length === 1 && req.method === "PUT") {
      const problems = problemsOf("Job", body);
      schemaProblems.push(...problems);
      if (problems.length > 0) return invalid(res, problems);
      const requested = (body as { requestedState?: string }).requestedState;
      // A cancel takes effect at once here; a drain ends as DRAINED.
      if (requested === "JOB_STATE_CANCELLED" || requested === "JOB_STATE_DRAINING") overrides.set(rest[0]!, requested === "JOB_STATE_CANCELLED" ? "JOB_STATE_CANCELLED" : "JOB_STATE_DRAINED");
      return answer(res, 200, { ...job, requestedState: requested });
    }
    if (rest.length === 2 && rest[1] === "messages" && req.method === "GET") {
      const messages = (options.errorMessages ?? []).map((messageText, i) => ({ id: String(i), time: "2026-12-07T10:00:00Z", messageImportance: "JOB_MESSAGE_ERROR", messageText }));
      return answer(res, 200, { jobMessages: messages });
    }
    return answer(res, 404, { error: { code: 404, message: `${req.method} ${url.pathname} is not a method of dataflow:v1b3`, status: "NOT_FOUND" } });
  }

  function create(res: ServerResponse, body: unknown): void {
    const problems = [...problemsOf("Job", body), ...jobRuleProblems((body ?? {}) as Record<string, unknown>)];
    schemaProblems.push(...problems);
    if (problems.length > 0) return invalid(res, problems);
    if (options.failCreate !== undefined) {
      const f = options.failCreate;
      return answer(res, f.status, { error: { code: f.status, message: f.message, status: f.apiStatus } });
    }
    const job = body as Record<string, unknown>;
    const id = `2026-12-07_10_00_00-${1000 + jobs.size}`;
    const stored = { ...job, id, ...(options.duplicate === true ? { clientRequestId: "someone-else" } : {}) };
    jobs.set(id, stored);
    answer(res, 200, { ...stored, currentState: "JOB_STATE_QUEUED" });
  }

  function nextState(id: string): string {
    const override = overrides.get(id);
    if (override !== undefined) return override;
    const states = options.states ?? ["JOB_STATE_DONE"];
    const n = polls.get(id) ?? 0;
    polls.set(id, n + 1);
    return states[Math.min(n, states.length - 1)]!;
  }

  /** The Compute Engine metadata server's answers google-auth-library asks for. */
  function metadata(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (req.headers["metadata-flavor"] !== "Google") return answer(res, 403, { error: "Missing Metadata-Flavor header" });
    res.setHeader("Metadata-Flavor", "Google");
    if (pathname.endsWith("/service-accounts/default/token")) return answer(res, 200, { access_token: options.token, expires_in: 3599, token_type: "Bearer" });
    if (pathname.endsWith("/project/project-id")) {
      res.writeHead(200, { "content-type": "application/text" }).end(options.project);
      return;
    }
    answer(res, 200, {});
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    schemaProblems,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The published path of `method` (DISCOVERY.methods) with the given parameters. */
export function methodPath(method: string, params: Record<string, string>): string {
  const template = DISCOVERY.methods[method]?.path;
  if (template === undefined) throw new Error(`dataflow:v1b3 has no method ${method} in the stored subset`);
  return "/" + template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`);
}

function invalid(res: ServerResponse, problems: readonly string[]): void {
  answer(res, 400, { error: { code: 400, message: `Invalid JSON payload received. ${problems.join("; ")}`, status: "INVALID_ARGUMENT" } });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
