import { randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Who may use the monitoring web page (`--ui`). The page can drain and cancel the job, so
 * three checks guard it:
 *
 * - **Host**: the request's Host header must name the address the server bound (or
 *   `localhost` for 127.0.0.1/::1). A page on another site that resolves its own name to
 *   127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
 * - **Origin**: a state-changing request (POST) must come from the page itself: its Origin
 *   is `http://<Host>`. A browser sends Origin with every cross-site POST, so a form on
 *   another site cannot press Drain (CSRF). A POST without Origin (curl) passes this check
 *   and relies on the token.
 * - **Token**: bound to an address other than loopback, every request, the event stream
 *   included, carries the access token generated at start (`?token=` or
 *   `Authorization: Bearer`), compared in constant time.
 */
export interface UiAccess {
  /** Host header values accepted (`host:port`, lower case). */
  readonly hosts: ReadonlySet<string>;
  /** The access token, when the server is reachable from other machines. */
  readonly token?: string;
}

/** A request as the checks see it. */
export interface UiRequest {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  /** From `?token=`. */
  readonly queryToken: string | null;
  readonly authorization: string | undefined;
}

/** Why a request is refused (HTTP status and a message naming the fix), or undefined to serve it. */
export type Refusal = { readonly status: 401 | 403 | 421; readonly message: string } | undefined;

/** True for addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A fresh access token: 32 random bytes, URL-safe. */
export function newAccessToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The access rules of a server bound to `host:port`: a token unless the host is loopback. */
export function uiAccess(host: string, port: number, token?: string): UiAccess {
  const literal = host.includes(":") ? `[${host}]` : host;
  const hosts = new Set([`${literal.toLowerCase()}:${port}`]);
  if (isLoopback(host)) {
    hosts.add(`localhost:${port}`);
    hosts.add(`127.0.0.1:${port}`);
    hosts.add(`[::1]:${port}`);
  }
  return token !== undefined ? { hosts, token } : { hosts };
}

/**
 * Decides whether to serve `req`. A wildcard bind (0.0.0.0, ::) accepts any Host: its
 * clients use whatever name reaches the machine, and the token is what protects it.
 */
export function refusal(access: UiAccess, req: UiRequest, wildcard: boolean): Refusal {
  const host = req.host?.toLowerCase();
  if (!wildcard && (host === undefined || !access.hosts.has(host))) {
    return { status: 421, message: `Host ${req.host ?? "(none)"} is not this server's address; open the URL beam-ts printed.` };
  }
  if (req.method !== "GET" && req.method !== "HEAD" && req.origin !== undefined && req.origin.toLowerCase() !== `http://${host}`) {
    return { status: 403, message: `Origin ${req.origin} may not control this job; use the page at http://${host}/.` };
  }
  if (access.token !== undefined) {
    const bearer = req.authorization?.startsWith("Bearer ") ? req.authorization.slice(7) : undefined;
    const given = req.queryToken ?? bearer;
    if (given === undefined || !sameToken(given, access.token)) {
      return { status: 401, message: "This page needs the access token beam-ts printed when the job started (?token=...)." };
    }
  }
  return undefined;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
