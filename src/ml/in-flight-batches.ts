import type { WindowBuffer } from "./window-buffers.js";

/** A batch that ran: its buffer and what running it gave. */
export interface FinishedBatch<Item, Tag, Outcome> {
  readonly buffer: WindowBuffer<Item, Tag>;
  readonly outcome: { readonly ok: true; readonly value: Outcome } | { readonly ok: false; readonly error: unknown };
}

interface Entry<Item, Tag, Outcome> {
  readonly buffer: WindowBuffer<Item, Tag>;
  readonly done: Promise<void>;
  outcome?: FinishedBatch<Item, Tag, Outcome>["outcome"];
}

/**
 * Batches running in the background while `process` goes on buffering synchronously: the
 * runner's per-element path stays that of a synchronous DoFn, and a batch's results are
 * emitted by a later `process` call of the same window (or by `finishBundle`), since
 * outputs may only be made inside those calls. `process` waits (returns a promise) only
 * when more than `maxInFlight` batches run.
 */
export class InFlightBatches<Item, Tag, Outcome> {
  private entries: Entry<Item, Tag, Outcome>[] = [];
  /** Finished entries not taken yet: process calls look for them only when there are some. */
  private finished = 0;

  /**
   * Default unbounded: a runner that feeds a bundle in one synchronous loop settles no
   * promise until the loop ends, so waiting would only queue the bundle's remaining
   * elements in the runner (whose queue is costly when long). The batches then hold at most
   * the bundle, which the runner holds already.
   */
  constructor(readonly maxInFlight = Infinity) {}

  /**
   * Starts `run` once `limiter` has a free slot: a model shared by the process runs its
   * batches one after another by default, as a loop calling it would (concurrent runs of
   * one onnxruntime session contend for the same cores).
   */
  start(buffer: WindowBuffer<Item, Tag>, run: () => Promise<Outcome>, limiter: Limiter): void {
    const ran = limiter.run(run);
    const entry: Entry<Item, Tag, Outcome> = {
      buffer,
      done: ran.then(
        (value) => {
          entry.outcome = { ok: true, value };
          this.finished++;
        },
        (error: unknown) => {
          entry.outcome = { ok: false, error };
          this.finished++;
        },
      ),
    };
    this.entries.push(entry);
  }

  /** True when `process` should wait for the oldest batch before taking more. */
  get full(): boolean {
    return this.maxInFlight !== Infinity && this.entries.filter((e) => e.outcome === undefined).length > this.maxInFlight;
  }

  /** Waits for the oldest unfinished batch. */
  async waitForOldest(): Promise<void> {
    await this.entries.find((e) => e.outcome === undefined)?.done;
  }

  /** Removes and returns the finished batches of the window `windowId`, oldest first. */
  takeFinished(windowId: string): FinishedBatch<Item, Tag, Outcome>[] {
    if (this.finished === 0) return [];
    const out: FinishedBatch<Item, Tag, Outcome>[] = [];
    this.entries = this.entries.filter((e) => {
      if (e.outcome === undefined || e.buffer.window.id() !== windowId) return true;
      out.push({ buffer: e.buffer, outcome: e.outcome });
      this.finished--;
      return false;
    });
    return out;
  }

  /** Waits for every batch, then removes and returns them all (the bundle ends). */
  async takeAll(): Promise<FinishedBatch<Item, Tag, Outcome>[]> {
    await Promise.all(this.entries.map((e) => e.done));
    const out = this.entries.map((e) => ({ buffer: e.buffer, outcome: e.outcome! }));
    this.entries = [];
    this.finished = 0;
    return out;
  }
}

/** At most `concurrency` calls at once; the others wait in order. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly concurrency: number) {}

  /** True when a new call would have to wait. */
  get busy(): boolean {
    return this.running >= this.concurrency;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await call();
    } finally {
      // Hand the slot to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }
}

const limiters = new Map<string, Limiter>();

/** The process-wide limiter of `key` (a model id), made on first use. */
export function sharedLimiter(key: string, concurrency: number): Limiter {
  let limiter = limiters.get(key);
  if (limiter === undefined) limiters.set(key, (limiter = new Limiter(concurrency)));
  return limiter;
}
