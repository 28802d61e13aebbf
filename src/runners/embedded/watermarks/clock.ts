import type { Instant } from "../../../model/index.js";

/**
 * Processing time as the runner sees it. The embedded runner never calls Date.now()
 * directly: a job with a TestStream runs on a ManualClock that only the TestStream moves,
 * so processing-time triggers are deterministic in tests.
 */
export interface Clock {
  now(): Instant;
  /**
   * Waits until processing time reaches `time` (Infinity: until woken) or `wake()` is
   * called, whichever is first.
   */
  sleepUntil(time: Instant): Promise<void>;
  /** Ends the current sleep early (new work, cancel, drain). */
  wake(): void;
  /** True when time only moves when told to (TestStream). */
  readonly controlled: boolean;
}

/** Longest single sleep, so a wake-up lost to a race costs at most this much. */
const MAX_SLEEP_MS = 1000;

abstract class WakeableClock {
  private waking: (() => void) | undefined;
  protected sleepFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.waking === done) this.waking = undefined;
        resolve();
      };
      const timer = setTimeout(done, Number.isFinite(ms) ? Math.max(0, Math.min(ms, MAX_SLEEP_MS)) : MAX_SLEEP_MS);
      this.waking = done;
    });
  }
  wake(): void {
    this.waking?.();
  }
}

/** The machine's wall clock. */
export class SystemClock extends WakeableClock implements Clock {
  readonly controlled = false;
  now(): Instant {
    return Date.now();
  }
  sleepUntil(time: Instant): Promise<void> {
    return this.sleepFor(time - Date.now());
  }
}

/**
 * A clock that moves only by `advance` (TestStream's processing-time events). It starts
 * at `start` (default 0, the epoch) and never sleeps: waiting for it can only end by a
 * wake-up.
 */
export class ManualClock extends WakeableClock implements Clock {
  readonly controlled = true;
  private current: Instant;
  constructor(start: Instant = 0) {
    super();
    this.current = start;
  }
  now(): Instant {
    return this.current;
  }
  advance(by: number): void {
    if (!(by >= 0)) throw new RangeError(`processing time can only advance; got ${by} ms`);
    this.current += by;
  }
  /**
   * Sets the time a checkpoint recorded (the TestStream's snapshot): a restored job's
   * processing time continues where the checkpointed one was, not from the start.
   */
  restoreTo(time: Instant): void {
    this.current = time;
  }
  sleepUntil(time: Instant): Promise<void> {
    if (time <= this.current) return Promise.resolve();
    return this.sleepFor(MAX_SLEEP_MS);
  }
}
