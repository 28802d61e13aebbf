import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OptionsError } from "../model/index.js";
import type { JobSnapshot, JobState } from "../pipeline/index.js";
import { isLoopback, newAccessToken, refusal, uiAccess, type UiAccess } from "./ui-access.js";
import { uiPayload } from "./ui-payload.js";

/** What the page's buttons do: the job's own drain, cancel and savepoint. */
export interface JobControl {
  drain(): Promise<JobState>;
  cancel(): Promise<JobState>;
  /** Takes a savepoint and resolves to where it was written; absent on runners that cannot. */
  savepoint?(): Promise<string>;
}

/** A running monitoring page. */
export interface UiServer {
  /** The page's address, with `?token=` when one is needed. */
  readonly url: string;
  readonly port: number;
  /** The access token, when the server listens beyond loopback. */
  readonly token?: string;
  close(): Promise<void>;
}

/** How often the event stream sends a snapshot: fast enough to look live, cheap to take. */
export const UI_INTERVAL_MS = 500;

/**
 * The page's files: `ui/` at the package root, which is two folders up from this module both
 * as source (src/observe) and as built (dist/observe); package.json ships it ("files").
 */
const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));
const FILES: Record<string, { readonly file: string; readonly type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/monitor.js": { file: "monitor.js", type: "text/javascript; charset=utf-8" },
  "/monitor.css": { file: "monitor.css", type: "text/css; charset=utf-8" },
};

/**
 * Serves the monitoring page of one job with node:http: the page and its script, the graph
 * layout library (dagre's browser bundle, from the optional peer dependency
 * `@dagrejs/dagre`), `GET /snapshot` (JSON), `GET /events` (a snapshot every
 * UI_INTERVAL_MS as Server-Sent Events) and `POST /drain`, `POST /cancel`, `POST /savepoint`
 * (answers `{ "path": ... }` once the savepoint is durable, 409 with the reason when the job
 * cannot take one). Every POST passes the same Host, Origin and token checks. Binds 127.0.0.1
 * unless `host` says otherwise; any other address gets an access token (ui-access.ts).
 */
export async function startUiServer(
  snapshot: () => JobSnapshot,
  control: JobControl,
  options: { readonly port: number; readonly host?: string },
): Promise<UiServer> {
  const dagre = await dagreBundle();
  const host = options.host ?? "127.0.0.1";
  const token = isLoopback(host) ? undefined : newAccessToken();
  const wildcard = host === "0.0.0.0" || host === "::";
  const streams = new Set<() => void>();

  const handle = (access: UiAccess, req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://placeholder");
    const refused = refusal(access, {
      method: req.method ?? "GET",
      host: req.headers.host,
      origin: req.headers.origin,
      queryToken: url.searchParams.get("token"),
      authorization: req.headers.authorization,
    }, wildcard);
    if (refused !== undefined) {
      res.writeHead(refused.status, { "content-type": "text/plain; charset=utf-8" }).end(`${refused.message}\n`);
      return;
    }
    route(req, res, url.pathname).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`${err instanceof Error ? err.message : String(err)}\n`);
    });
  };

  async function route(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const page = FILES[pathname === "/index.html" ? "/" : pathname];
    if (req.method === "GET" && page !== undefined) {
      send(res, 200, page.type, await readFile(path.join(UI_DIR, page.file)));
    } else if (req.method === "GET" && pathname === "/dagre.min.js") {
      send(res, 200, "text/javascript; charset=utf-8", dagre);
    } else if (req.method === "GET" && pathname === "/snapshot") {
      send(res, 200, "application/json", uiPayload(snapshot()));
    } else if (req.method === "GET" && pathname === "/events") {
      const stop: () => void = eventStream(req, res, snapshot, () => streams.delete(stop));
      streams.add(stop);
    } else if (req.method === "POST" && (pathname === "/drain" || pathname === "/cancel")) {
      const action = pathname === "/drain" ? control.drain() : control.cancel();
      // The job ends on its own time (a drain fires every open window first); the page
      // follows it on the event stream, so the request answers at once.
      action.catch(() => {});
      send(res, 202, "application/json", JSON.stringify({ requested: pathname.slice(1) }));
    } else if (req.method === "POST" && pathname === "/savepoint") {
      // Unlike a drain, the answer waits: the page shows where the savepoint was written.
      if (control.savepoint === undefined) {
        send(res, 409, "text/plain; charset=utf-8", "This job's runner takes no savepoints.\n");
        return;
      }
      try {
        send(res, 200, "application/json", JSON.stringify({ path: await control.savepoint() }));
      } catch (err) {
        send(res, 409, "text/plain; charset=utf-8", `${err instanceof Error ? err.message : String(err)}\n`);
      }
    } else {
      send(res, 404, "text/plain", `Not found: ${pathname}\n`);
    }
  }

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new OptionsError(`--uiPort=${options.port}: cannot listen on ${host}:${options.port} (${err.code ?? err.message}). Pick another port, or 0 for any free one.`, { cause: err })),
    );
    server.listen(options.port, host, () => resolve());
  });
  // The page never keeps a finished program alive.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  // Requests are served from here on: the Host check needs the port the server got.
  const access = uiAccess(host, port, token);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => handle(access, req, res));
  const literal = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${literal}:${port}/${token !== undefined ? `?token=${token}` : ""}`,
    port,
    ...(token !== undefined ? { token } : {}),
    close: async () => {
      for (const stop of streams) stop();
      await closeServer(server);
    },
  };
}

/** Streams snapshots to one page until it goes away; returns how to stop early (the job ended). */
function eventStream(req: IncomingMessage, res: ServerResponse, snapshot: () => JobSnapshot, onStop: () => void): () => void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  const push = () => {
    const snap = snapshot();
    res.write(`data: ${uiPayload(snap)}\n\n`);
  };
  push();
  const timer = setInterval(push, UI_INTERVAL_MS).unref();
  const stop = () => {
    clearInterval(timer);
    onStop();
    if (!res.writableEnded) {
      // One last snapshot (the final state) before the stream ends, so the page shows how the job ended.
      push();
      res.end("event: end\ndata: {}\n\n");
    }
  };
  req.on("close", () => {
    clearInterval(timer);
    onStop();
  });
  return stop;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff", "x-frame-options": "DENY" }).end(body);
}

/** dagre's browser bundle (a global `dagre`), read from the installed package. */
async function dagreBundle(): Promise<Buffer> {
  try {
    const manifest = createRequire(import.meta.url).resolve("@dagrejs/dagre/package.json");
    return await readFile(path.join(path.dirname(manifest), "dist", "dagre.min.js"));
  } catch (err) {
    throw new OptionsError("--ui needs the @dagrejs/dagre package to lay out the graph: npm install @dagrejs/dagre", { cause: err });
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
