import { AsyncResource } from "node:async_hooks";
import type { WindowBuffer } from "./window-buffers.js";

/** A batch that ran: its buffer and what running it gave. */
export interface FinishedBatch<Item, Tag, Outcome> {
  readonly buffer: WindowBuffer<Item, Tag>;
  readonly outcome: { readonly ok: true; readonly value: Outcome } | { readonly ok: false; readonly error: unknown };
}

/** What a Limiter starts in its turn (an object, so that a waiting batch needs no closure). */
export interface LimiterTask {
  start(): void;
}

/** A batch started: what it runs, and then how it ended. It is its own limiter task. */
class Entry<Item, Tag, Outcome> implements LimiterTask {
  /** Set when the batch ends; cleared when the batch is taken (see `take`). */
  outcome: FinishedBatch<Item, Tag, Outcome>["outcome"] | undefined = undefined;
  /** Who waits for the batch to end (drain, waitForOldest), called once when it does (see `whenEnded`). */
  waiter: (() => void) | undefined = undefined;
  /** False once `drain` took it: its end no longer counts among `finished`. */
  tracked = true;

  constructor(
    readonly buffer: WindowBuffer<Item, Tag>,
    private readonly batches: InFlightBatches<Item, Tag, Outcome>,
    private readonly run: (buffer: WindowBuffer<Item, Tag>) => Promise<Outcome>,
    private readonly limiter: Limiter,
  ) {}

  /**
   * Runs the batch in its slot of the limiter; the outcome goes into the entry, then the
   * slot goes to the next batch. One promise besides the batch's own: the slot is given
   * back from the same callback, not from a promise chained to this one.
   */
  start(): void {
    let ran: Promise<Outcome>;
    try {
      ran = this.run(this.buffer);
    } catch (error) {
      ran = Promise.reject(error);
    }
    ran.then(
      (value) => this.batches.settle(this, { ok: true, value }, this.limiter),
      (error: unknown) => this.batches.settle(this, { ok: false, error }, this.limiter),
    );
  }
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
 * a waiting batch is its buffer and its entry (no closure, no promise until it runs). An
 * old object, even a dead one, that points at young results makes every minor collection
 * copy them (and the next promote them), which cost more CPU than the batching itself: so
 * results are never the value of a promise made at `start` (a settled promise keeps its
 * value until a full collection), and an entry lets go of its outcome when it is taken.
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
   * Starts `run(buffer)` once `limiter` has a free slot: a model shared by the process runs
   * its batches one after another by default, as a loop calling it would (concurrent runs of
   * one onnxruntime session contend for the same cores). Callers pass one `run` for all their
   * batches, not a closure per batch: a waiting batch would keep it.
   */
  start(buffer: WindowBuffer<Item, Tag>, run: (buffer: WindowBuffer<Item, Tag>) => Promise<Outcome>, limiter: Limiter): void {
    const entry = new Entry(buffer, this, run, limiter);
    limiter.acquire(entry);
    this.entries.push(entry);
  }

  /** @internal Called by an entry whose batch ended. */
  settle(entry: Entry<Item, Tag, Outcome>, outcome: FinishedBatch<Item, Tag, Outcome>["outcome"], limiter: Limiter): void {
    entry.outcome = outcome;
    if (entry.tracked) this.finished++;
    const waiter = entry.waiter;
    entry.waiter = undefined;
    try {
      waiter?.();
    } finally {
      limiter.release();
    }
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

  /** True when some batch has finished and was not taken yet (asked per element: no window id needed). */
  get anyFinished(): boolean {
    return this.finished > 0;
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
  drain(each: (batch: FinishedBatch<Item, Tag, Outcome>) => void): Promise<void> {
    const entries: (Entry<Item, Tag, Outcome> | undefined)[] = this.entries;
    this.entries = [];
    this.finished = 0;
    for (const entry of entries) entry!.tracked = false;
    // One promise for the whole drain, not one per batch: `step` hands on every finished
    // batch at the head of the list and, at the first one still running, waits for its end
    // (it is then called from that batch's settling, before the batch's slot is reused).
    // Bound to the caller's async context, which a promise's continuation would have had:
    // the batch settles in the context of whoever started it (another bundle's, with a
    // shared limiter), and `each` runs downstream steps, whose logs name their bundle by it.
    return new Promise<void>((resolve, reject) => {
      let i = 0;
      const step = AsyncResource.bind((): void => {
        try {
          while (i < entries.length) {
            const entry = entries[i]!;
            if (entry.outcome === undefined) {
              whenEnded(entry, step);
              return;
            }
            // Dropped as it is taken: the list lives until the last batch.
            entries[i++] = undefined;
            each(take(entry));
          }
        } catch (err) {
          // The rest are dropped: no waiter refers to `step` any more.
          reject(err);
          return;
        }
        resolve();
      });
      step();
    });
  }
}

const NONE: readonly never[] = [];

/** Calls `then` when the entry's batch has ended, after whoever waited for it already. */
function whenEnded<Item, Tag, Outcome>(entry: Entry<Item, Tag, Outcome>, then: () => void): void {
  const before = entry.waiter;
  entry.waiter =
    before === undefined
      ? then
      : () => {
          before();
          then();
        };
}

/** Settles when the entry's batch has ended. */
function ended<Item, Tag, Outcome>(entry: Entry<Item, Tag, Outcome>): Promise<void> {
  return new Promise<void>((resolve) => whenEnded(entry, resolve));
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
  private waiting: (LimiterTask | undefined)[] = [];
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
    this.acquire({
      start: () => {
        let running: Promise<unknown>;
        try {
          running = task();
        } catch {
          running = Promise.resolve();
        }
        running.then(this.release, this.release);
      },
    });
  }

  /**
   * Starts `task` once a slot is free (at once if one is); the task owns the slot until it
   * calls `release()`, exactly once (InFlightBatches does so from the callback that ends the
   * batch, which spares the promise `submit` chains for it). A task that throws frees its slot.
   */
  acquire(task: LimiterTask): void {
    if (this.running < this.concurrency) {
      this.running++;
      this.launch(task);
    } else {
      this.waiting.push(task);
    }
  }

  private launch(task: LimiterTask): void {
    try {
      task.start();
    } catch {
      // Freed after the current call, as a task that ends would be: never a recursion
      // through the waiting tasks.
      void Promise.resolve().then(this.release);
    }
  }

  /** A task ended: hand its slot to the next waiting task, or free it. */
  readonly release = (): void => {
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
