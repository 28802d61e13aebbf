import type { WindowBuffer } from "./window-buffers.js";

/** A batch that ran: its buffer and what running it gave. */
export interface FinishedBatch<Item, Tag, Outcome> {
  readonly buffer: WindowBuffer<Item, Tag>;
  readonly outcome: { readonly ok: true; readonly value: Outcome } | { readonly ok: false; readonly error: unknown };
}

interface Entry<Item, Tag, Outcome> {
  readonly buffer: WindowBuffer<Item, Tag>;
  /** Set when the batch ends; cleared when the batch is taken (see `take`). */
  outcome?: FinishedBatch<Item, Tag, Outcome>["outcome"];
  /** Who waits for the batch to end (drain, waitForOldest); a promise is made only then. */
  waiter?: () => void;
  /** False once `drain` took it: its end no longer counts among `finished`. */
  tracked: boolean;
}

/**
 * Batches running in the background while `process` goes on buffering synchronously: the
 * runner's per-element path stays that of a synchronous DoFn, and a batch's results are
 * emitted by a later `process` call of the same window (or by `finishBundle`), since
 * outputs may only be made inside those calls. `process` waits (returns a promise) only
 * when more than `maxInFlight` batches run.
 *
 * Memory: a bundle fed in one synchronous loop starts all its batches before the first
 * ends, so what a batch holds while it waits lives long enough to reach the old generation:
 * a waiting batch is its entry and one closure (no promise until it runs). An old object,
 * even a dead one, that points at young results makes every minor collection copy them (and
 * the next promote them), which cost more CPU than the batching itself: so results are
 * never the value of a promise made at `start` (a settled promise keeps its value until a
 * full collection), and an entry lets go of its outcome when it is taken.
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
    const entry: Entry<Item, Tag, Outcome> = { buffer, tracked: true };
    limiter.submit(() => this.run(entry, run));
    this.entries.push(entry);
  }

  /** Runs the entry's batch (its slot is free); the outcome goes into the entry. */
  private run(entry: Entry<Item, Tag, Outcome>, run: () => Promise<Outcome>): Promise<void> {
    let ran: Promise<Outcome>;
    try {
      ran = run();
    } catch (error) {
      ran = Promise.reject(error);
    }
    return ran.then(
      (value) => this.settle(entry, { ok: true, value }),
      (error: unknown) => this.settle(entry, { ok: false, error }),
    );
  }

  private settle(entry: Entry<Item, Tag, Outcome>, outcome: FinishedBatch<Item, Tag, Outcome>["outcome"]): void {
    entry.outcome = outcome;
    if (entry.tracked) this.finished++;
    entry.waiter?.();
  }

  /** True when `process` should wait for the oldest batch before taking more. */
  get full(): boolean {
    return this.maxInFlight !== Infinity && this.entries.filter((e) => e.outcome === undefined).length > this.maxInFlight;
  }

  /** Waits for the oldest unfinished batch. */
  async waitForOldest(): Promise<void> {
    const oldest = this.entries.find((e) => e.outcome === undefined);
    if (oldest !== undefined) await ended(oldest);
  }

  /** Removes and returns the finished batches of the window `windowId`, oldest first. */
  takeFinished(windowId: string): readonly FinishedBatch<Item, Tag, Outcome>[] {
    if (this.finished === 0) return NONE;
    const out: FinishedBatch<Item, Tag, Outcome>[] = [];
    this.entries = this.entries.filter((e) => {
      if (e.outcome === undefined || e.buffer.window.id() !== windowId) return true;
      out.push(take(e));
      this.finished--;
      return false;
    });
    return out;
  }

  /**
   * Removes every batch (the bundle ends) and hands each to `each`, in start order, as soon
   * as it has finished. Handing a batch's results on while later batches still run keeps
   * them short-lived: waiting for the whole bundle first would hold every result of it at
   * once, which the garbage collector then copies into the old generation. When `each`
   * throws (a failed batch fails the bundle), the rest are dropped and the error returned.
   * A callback, not an async generator: a generator costs several promises per batch.
   */
  async drain(each: (batch: FinishedBatch<Item, Tag, Outcome>) => void): Promise<void> {
    const entries: (Entry<Item, Tag, Outcome> | undefined)[] = this.entries;
    this.entries = [];
    this.finished = 0;
    for (const entry of entries) entry!.tracked = false;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      // Dropped as it is taken: the list lives until the last batch.
      entries[i] = undefined;
      if (entry.outcome === undefined) await ended(entry);
      each(take(entry));
    }
  }
}

const NONE: readonly never[] = [];

/** Settles when the entry's batch has ended (one waiter at a time: drain, or a process call). */
function ended<Item, Tag, Outcome>(entry: Entry<Item, Tag, Outcome>): Promise<void> {
  return new Promise<void>((resolve) => {
    const before = entry.waiter;
    entry.waiter = () => {
      entry.waiter = undefined;
      before?.();
      resolve();
    };
  });
}

/** The entry's batch, which the entry then lets go of (see the class comment). */
function take<Item, Tag, Outcome>(entry: Entry<Item, Tag, Outcome>): FinishedBatch<Item, Tag, Outcome> {
  const batch = { buffer: entry.buffer, outcome: entry.outcome! };
  entry.outcome = undefined;
  return batch;
}

/** At most `concurrency` calls at once; the others wait in order. */
export class Limiter {
  private running = 0;
  /**
   * Waiting tasks in arrival order from `head`: a bundle that arrives in one synchronous
   * loop queues all its batches here at once (thousands), and Array#shift is linear in them.
   */
  private waiting: ((() => Promise<unknown>) | undefined)[] = [];
  private head = 0;

  constructor(readonly concurrency: number) {}

  /** True when a new call would have to wait. */
  get busy(): boolean {
    return this.running >= this.concurrency;
  }

  /** Runs `call` in its turn; settles as it does (rejects when it throws). */
  run<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.submit(() => {
        let running: Promise<T>;
        try {
          running = call();
        } catch (err) {
          running = Promise.reject(err);
        }
        return running.then(resolve, reject);
      }),
    );
  }

  /**
   * Runs `task` in its turn, without a promise for its caller: a waiting task is only its
   * closure. The task handles its own errors; one that rejects (or throws) frees its slot
   * and its error is dropped.
   */
  submit(task: () => Promise<unknown>): void {
    if (this.running < this.concurrency) {
      this.running++;
      this.launch(task);
    } else {
      this.waiting.push(task);
    }
  }

  private launch(task: () => Promise<unknown>): void {
    let running: Promise<unknown>;
    try {
      running = task();
    } catch {
      running = Promise.resolve();
    }
    running.then(this.next, this.next);
  }

  /** A task ended: hand its slot to the next waiting task, or free it. */
  private readonly next = (): void => {
    if (this.head < this.waiting.length) {
      const task = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      if (this.head === this.waiting.length) {
        this.waiting = [];
        this.head = 0;
      }
      this.launch(task);
    } else {
      this.running--;
    }
  };
}

const limiters = new Map<string, Limiter>();

/** The process-wide limiter of `key` (a model id), made on first use. */
export function sharedLimiter(key: string, concurrency: number): Limiter {
  let limiter = limiters.get(key);
  if (limiter === undefined) limiters.set(key, (limiter = new Limiter(concurrency)));
  return limiter;
}
