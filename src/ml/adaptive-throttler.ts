/**
 * Client-side adaptive throttling, as Beam's AdaptiveThrottler (from the SRE book's
 * "client-side throttling"): over the last `windowMs`, a request is refused locally with
 * probability max(0, (requests - overloadRatio * accepts) / (requests + 1)). While the
 * server accepts everything nothing is throttled; when it starts rejecting, the client
 * sends less, so that a struggling server is not buried in retries.
 */
export class AdaptiveThrottler {
  private readonly requests: number[] = [];
  private readonly accepts: number[] = [];

  constructor(
    private readonly windowMs = 60_000,
    private readonly overloadRatio = 2,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this request should not be sent now (wait and ask again). */
  throttleRequest(): boolean {
    const now = this.now();
    const requests = this.count(this.requests, now);
    const accepts = this.count(this.accepts, now);
    const p = Math.max(0, (requests - this.overloadRatio * accepts) / (requests + 1));
    const throttled = this.random() < p;
    // A throttled request counts too, as in Beam: otherwise the ratio could never fall.
    this.requests.push(now);
    return throttled;
  }

  /** Records that the server accepted a request. */
  successfulRequest(): void {
    this.accepts.push(this.now());
  }

  /** The current probability of throttling (for tests and metrics). */
  probability(): number {
    const now = this.now();
    const requests = this.count(this.requests, now);
    return Math.max(0, (requests - this.overloadRatio * this.count(this.accepts, now)) / (requests + 1));
  }

  private count(times: number[], now: number): number {
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    return times.length;
  }
}
