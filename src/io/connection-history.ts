/**
 * What one worker remembers about its steps' connections to their servers, by a key (a
 * step and an address), across the DoFn instances of the step.
 *
 * Why: a connector fails at once, with the address and a hint, when its server cannot be
 * reached at the start of a job (a wrong port is not worth waiting for). But once the step
 * was connected, a server that goes away is an outage: the instance that had the connection
 * is torn down with its failed bundle, and the retry's fresh instance must wait for the
 * server with backoff instead of failing at once. It learns that here. The instance cannot
 * always tell that it lost the connection: when another step of the bundle fails first, the
 * runner tears it down before its client has seen the socket close. So a step that was
 * connected before waits too, not only one whose loss was noticed.
 *
 * Per worker (module state of one thread or process): a retry that runs in another worker
 * fails after its first attempts and is retried again by the runner.
 */
export class ConnectionHistory {
  private readonly connected = new Set<string>();
  private readonly lost = new Set<string>();

  /** Whether the next connection of `key` waits for its server: it was connected before in this worker. */
  mayWait(key: string): boolean {
    return this.connected.has(key) || this.lost.has(key);
  }

  /** Notes that `key`'s connection was lost while the job ran. */
  noteLost(key: string): void {
    this.lost.add(key);
  }

  /**
   * Notes that `key` connected, after `failedAttempts` failed attempts, and returns whether
   * this is a reconnection (to be counted): a lost connection opened again, or the server
   * waited for by a step that was connected before.
   */
  noteConnected(key: string, failedAttempts: number): boolean {
    const reconnected = this.lost.delete(key) || (failedAttempts > 0 && this.connected.has(key));
    this.connected.add(key);
    return reconnected;
  }
}
