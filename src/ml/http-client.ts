import { BeamError } from "../model/index.js";
import { AdaptiveThrottler } from "./adaptive-throttler.js";

/** Settings of the HTTP calls of the remote model and enrichment handlers. */
export interface HttpCallOptions {
  readonly url: string;
  /** Extra headers (an API key, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long one attempt may take, in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Attempts after the first for a rejected (429, 5xx), timed-out or failed request (default 5). */
  readonly maxRetries?: number;
  /** Backoff between attempts: exponential from initialMs (default 100) to maxMs (default 10 000), with jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Client-side throttling when the server rejects (Beam's AdaptiveThrottler); default on. */
  readonly throttle?: boolean;
}

/** An HTTP call that failed for good, with the last status or cause. */
export class HttpCallError extends BeamError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super("ML", message, options);
  }
}

/** What a caller can observe of a call: for metrics. */
export interface HttpCallStats {
  retries: number;
  throttledMs: number;
}

/**
 * POSTs JSON and returns the parsed answer. A 429 or 5xx, a timeout and a network error are
 * retried with exponential backoff and jitter (as the runner's retry policy); other 4xx
 * fail at once. The throttler, shared by the handler's calls, holds requests back locally
 * while the server keeps rejecting.
 */
export async function postJson(options: HttpCallOptions, body: unknown, throttler: AdaptiveThrottler | undefined, stats: HttpCallStats): Promise<unknown> {
  const maxRetries = options.maxRetries ?? 5;
  const initial = options.backoff?.initialMs ?? 100;
  const max = options.backoff?.maxMs ?? 10_000;
  let last: HttpCallError | undefined;
  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    if (attempt > 0) {
      stats.retries++;
      await sleep(Math.min(max, initial * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
    }
    while (throttler?.throttleRequest() === true) {
      const wait = Math.min(max, initial);
      stats.throttledMs += wait;
      await sleep(wait);
    }
    try {
      const res = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (res.ok) {
        throttler?.successfulRequest();
        return await res.json();
      }
      const text = (await res.text()).slice(0, 200);
      const retryable = res.status === 429 || res.status >= 500;
      last = new HttpCallError(`POST ${options.url} answered ${res.status}: ${text}`, res.status, retryable);
      if (!retryable) throw last;
    } catch (err) {
      if (err instanceof HttpCallError && !err.retryable) throw err;
      if (!(err instanceof HttpCallError)) last = new HttpCallError(`POST ${options.url} failed: ${err instanceof Error ? err.message : String(err)}`, undefined, true, { cause: err });
    }
  }
  throw new HttpCallError(`${last?.message ?? "no attempt"} (after ${maxRetries + 1} attempts)`, last?.status, true, { cause: last });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
