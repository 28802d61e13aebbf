import type { DoFnMetrics } from "../../transforms/index.js";
import { ConnectionHistory } from "../connection-history.js";
import { messageOf, sqlStateOf } from "./postgres-io-error.js";

/**
 * How a PostgreSQL step rides out a server that goes away while the job runs.
 *
 * A transaction does not survive its connection, so a bundle whose connection is lost
 * fails (retryable) and the runner retries it with backoff; the retry's fresh DoFn
 * instance opens a new connection, trying again with backoff while the server is still
 * down (`connectRetries`). Beam's JdbcIO does the same in two layers: the bundle fails and
 * is retried by the runner, and `withRetryStrategy` retries the statement on a fresh
 * connection.
 */

/**
 * Counter of connection attempts that failed and were tried again after a backoff (a server
 * down or restarting), in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(POSTGRES_RETRIES_METRIC).counters[0]?.attempted
 */
export const POSTGRES_RETRIES_METRIC = { namespace: "beam-ts.io.postgres", name: "retries" } as const;

/**
 * Counter of connections a step opened again after it lost one while running (the server
 * went away, restarted, or ended the session), in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(POSTGRES_RECONNECTS_METRIC).counters[0]?.attempted
 */
export const POSTGRES_RECONNECTS_METRIC = { namespace: "beam-ts.io.postgres", name: "reconnects" } as const;

/** Default number of further attempts to open a connection again after a lost one: 100 ms doubling to 3.2 s, about 6 s in all. */
export const DEFAULT_RECONNECT_RETRIES = 6;

/** First wait before another connection attempt; doubled each time, at most MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * The steps (by label) of this worker that were connected, or lost a connection (see
 * ConnectionHistory): the instance that lost it is torn down with its bundle, so the next
 * one must learn it here.
 */
const history = new ConnectionHistory();

/** Socket errors of a connection that broke or could not open. */
const NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);

/**
 * Whether `err` says the connection is gone or the server is not accepting connections
 * right now, so that another attempt later may succeed: a socket error, pg's "Connection
 * terminated", or SQLSTATE class 57P (admin shutdown, crash shutdown, starting up) and 08
 * (connection exception).
 *
 * @example isConnectionLost(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })) // true
 */
export function isConnectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  const state = sqlStateOf(err);
  if (state !== undefined) return state.startsWith("57P") || state.startsWith("08");
  const nested = (err as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(nested) && nested.some(isConnectionLost)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(messageOf(err));
}

/** Notes that step `what` lost its connection (counted as a reconnect when it opens one again). */
export function noteConnectionLost(what: string): void {
  history.noteLost(what);
}

/**
 * Runs `open`; when step `what` was connected before (the server went away while the job
 * ran), tries again up to `retries` more times with exponential backoff while it fails
 * as `isConnectionLost` accepts, counting each retry and the reconnect in `metrics`. A
 * server down from the start, a wrong password or an unknown database fail at once, with
 * the address and a hint (the runner may still retry the bundle).
 *
 * @example const client = await openWithRetry(() => pool.connect(), "WriteToPostgres", 6, ctx.metrics);
 */
export async function openWithRetry<C>(open: () => Promise<C>, what: string, retries: number, metrics: DoFnMetrics | undefined): Promise<C> {
  const mayWait = history.mayWait(what);
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await open();
      if (history.noteConnected(what, attempt)) metrics?.counter(POSTGRES_RECONNECTS_METRIC.namespace, POSTGRES_RECONNECTS_METRIC.name).inc();
      return client;
    } catch (err) {
      if (!mayWait || attempt >= retries || !isConnectionLost(err)) throw err;
      metrics?.counter(POSTGRES_RETRIES_METRIC.namespace, POSTGRES_RETRIES_METRIC.name).inc();
      const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
