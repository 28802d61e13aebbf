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
  /** False once `drain` took it: its end no longer counts among `finished`. */
  tracked: boolean;
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
      tracked: true,
      done: ran.then(
        (value) => {
          entry.outcome = { ok: true, value };
          if (entry.tracked) this.finished++;
        },
        (error: unknown) => {
          entry.outcome = { ok: false, error };
          if (entry.tracked) this.finished++;
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

  /**
   * Removes every batch (the bundle ends), yielding each in start order as soon as it has
   * finished. Emitting a batch's results while later batches still run keeps them short-lived:
   * waiting for the whole bundle first would hold every result of it at once, which the
   * garbage collector then copies into the old generation. A consumer that stops early (a
   * failed batch fails the bundle) drops the rest.
   */
  async *drain(): AsyncGenerator<FinishedBatch<Item, Tag, Outcome>> {
    const entries = this.entries;
    this.entries = [];
    this.finished = 0;
    for (const entry of entries) entry.tracked = false;
    for (const entry of entries) {
      if (entry.outcome === undefined) await entry.done;
      yield { buffer: entry.buffer, outcome: entry.outcome! };
    }
  }
}

/** At most `concurrency` calls at once; the others wait in order. */
export class Limiter {
  private running = 0;
  /**
   * Waiters in arrival order from `head`: a bundle that arrives in one synchronous loop
   * queues all its batches here at once (thousands), and Array#shift is linear in them.
   */
  private waiting: ((() => void) | undefined)[] = [];
  private head = 0;

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
      if (this.head < this.waiting.length) {
        const next = this.waiting[this.head]!;
        this.waiting[this.head++] = undefined;
        if (this.head === this.waiting.length) {
          this.waiting = [];
          this.head = 0;
        }
        next();
      } else {
        this.running--;
      }
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
