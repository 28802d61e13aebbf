import { BeamError } from "../../../model/index.js";
import { encodeCheckpoint, type StageShape } from "./checkpoint-file.js";
import type { CheckpointSettings } from "./checkpoint-settings.js";
import type { CheckpointStorage, StoredCheckpoint } from "./checkpoint-storage.js";
import type { CoordinatorLink } from "./executor-checkpointing.js";

/** What the coordinator reports about each checkpoint (job metrics, logs, tests). */
export interface CheckpointStats {
  readonly id: number;
  readonly kind: "checkpoint" | "savepoint";
  readonly bytes: number;
  /** From the request to the file being durable. */
  readonly millis: number;
  readonly location: string;
  readonly finished: boolean;
}

interface Pending {
  readonly id: number;
  readonly kind: "checkpoint" | "savepoint";
  readonly startedAt: number;
  readonly parts: (Uint8Array | undefined)[];
  readonly waiters: ((stored: StoredCheckpoint) => void)[];
  /** Every part arrived and the file is being written. */
  writing: boolean;
}

/**
 * The job's checkpoint coordinator (Flink's CheckpointCoordinator, on one machine): asks
 * every executor for its part every `intervalMillis` (one checkpoint at a time: the next is
 * asked for only once the last is durable), assembles the parts into one file, writes it
 * atomically, removes checkpoints beyond the retained count, and tells the executors, whose
 * held finalizations then run. An executor that finished sends a final part, which stands
 * for it in every later checkpoint; when all have, the final checkpoint is written.
 */
export class CheckpointCoordinator {
  private nextId: number;
  private pending: Pending | undefined;
  private readonly finals: (Uint8Array | undefined)[];
  private readonly links: LocalLink[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastStart = Date.now();
  private completedCount = 0;
  private stopped = false;
  private failure: Error | undefined;
  private savepointsAsked: ((stored: StoredCheckpoint) => void)[] = [];
  /** The write under way, if any. */
  private writing: Promise<void> = Promise.resolve();
  private finalDone: { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void };

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly settings: CheckpointSettings,
    private readonly executors: number,
    private readonly describe: { readonly job: string; readonly stages: readonly StageShape[] },
    private readonly hooks: {
      /** Asks every worker thread for its part of checkpoint `id` (undefined: one thread). */
      readonly request?: (id: number) => void;
      /** Tells every worker thread that checkpoint `id` is durable (FINAL id: the final one). */
      readonly completed?: (id: number) => void;
      /** The job must stop (a checkpoint could not be written, or --stopAfterCheckpoint). */
      readonly stop: (reason: Error | undefined) => void;
      readonly stats?: (stats: CheckpointStats) => void;
    },
  ) {
    const ids = storage.list().map((c) => c.id);
    this.nextId = ids.length === 0 ? 1 : Math.max(...ids) + 1;
    this.finals = new Array<Uint8Array | undefined>(executors).fill(undefined);
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    this.finalDone = { promise, resolve, reject };
  }

  /** Starts the periodic checkpoints. */
  start(): void {
    this.schedule();
  }

  /**
   * Stops asking for checkpoints (the job ended, failed or was cancelled). Resolves once a
   * write under way has ended, so the next job on this directory never races it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.finalDone.reject(new BeamError("CANCELLED", "The job stopped before its final checkpoint."));
    await this.writing.catch(() => {});
  }

  /** The link of the executor that runs in this thread. */
  localLink(index: number): CoordinatorLink {
    const link = new LocalLink(this, index);
    this.links.push(link);
    return link;
  }

  /** A savepoint: a checkpoint taken now, kept until removed by hand. Resolves with where it is. */
  savepoint(): Promise<StoredCheckpoint> {
    return new Promise((resolve) => {
      this.savepointsAsked.push(resolve);
      if (this.pending === undefined) this.begin();
    });
  }

  /** The id the executors are asked to snapshot now, if any. */
  get requested(): number | undefined {
    return this.pending?.id;
  }

  /** Executor `index` sent its part of checkpoint `id`. */
  receivePart(index: number, id: number, part: Uint8Array): void {
    const p = this.pending;
    if (p === undefined || p.id !== id) return;
    p.parts[index] = part;
    this.maybeWrite();
  }

  /** Executor `index` finished; `part` is its final state. */
  receiveFinal(index: number, part: Uint8Array): void {
    this.finals[index] = part;
    if (this.pending !== undefined) this.maybeWrite();
    else if (this.finals.every((f) => f !== undefined)) this.begin(true);
  }

  /** Resolves when the final checkpoint is durable. */
  whenFinal(): Promise<void> {
    return this.finalDone.promise;
  }

  private schedule(): void {
    if (this.stopped) return;
    const wait = Math.max(0, this.lastStart + this.settings.intervalMillis - Date.now());
    this.timer = setTimeout(() => {
      if (this.pending === undefined && !this.stopped) this.begin();
      else this.schedule();
    }, wait);
    this.timer.unref();
  }

  private begin(final = false): void {
    if (this.stopped) return;
    this.lastStart = Date.now();
    const kind = this.savepointsAsked.length > 0 ? "savepoint" : "checkpoint";
    const waiters = this.savepointsAsked;
    this.savepointsAsked = [];
    this.pending = { id: this.nextId++, kind, startedAt: performance.now(), parts: new Array<Uint8Array | undefined>(this.executors).fill(undefined), waiters, writing: false };
    if (!final) this.hooks.request?.(this.pending.id);
    this.maybeWrite();
  }

  private maybeWrite(): void {
    const p = this.pending;
    if (p === undefined || p.writing) return;
    const parts = p.parts.map((part, i) => part ?? this.finals[i]);
    if (parts.some((part) => part === undefined)) return;
    p.writing = true;
    const finished = this.finals.every((f) => f !== undefined) && p.parts.every((part) => part === undefined);
    const bytes = encodeCheckpoint(
      { id: p.id, kind: p.kind, createdAt: new Date().toISOString(), job: this.describe.job, finished, stages: this.describe.stages },
      parts as Uint8Array[],
    );
    this.writing = this.storage.write(p.id, p.kind, bytes).then(
      (stored) => this.written(p, stored, bytes.length, finished),
      (err: unknown) => {
        this.failure = new BeamError("CHECKPOINT_FAILED", `Checkpoint ${p.id} could not be written to ${this.settings.dir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        this.hooks.stop(this.failure);
      },
    );
  }

  private written(p: Pending, stored: StoredCheckpoint, bytes: number, finished: boolean): void {
    if (this.stopped && !finished) return;
    this.pending = undefined;
    this.completedCount++;
    this.retain();
    this.hooks.stats?.({ id: p.id, kind: p.kind, bytes, millis: performance.now() - p.startedAt, location: stored.location, finished });
    for (const w of p.waiters) w(stored);
    const id = finished ? Number.MAX_SAFE_INTEGER : p.id;
    for (const link of this.links) link.complete(id);
    this.hooks.completed?.(id);
    if (finished) {
      this.stopped = true;
      this.finalDone.resolve();
      return;
    }
    const stopAfter = this.settings.stopAfterCheckpoint;
    if (stopAfter !== undefined && this.completedCount >= stopAfter) {
      this.hooks.stop(undefined);
      return;
    }
    // An executor that finished while this checkpoint was taken: the final one follows.
    if (this.finals.every((f) => f !== undefined)) this.begin(true);
    else if (this.savepointsAsked.length > 0) this.begin();
    else this.schedule();
  }

  /** Keeps the newest `retained` checkpoints; savepoints stay. */
  private retain(): void {
    const checkpoints = this.storage.list().filter((c) => c.kind === "checkpoint");
    for (const old of checkpoints.slice(0, Math.max(0, checkpoints.length - this.settings.retained))) this.storage.remove(old);
  }
}

/** The coordinator link of an executor in the coordinator's own thread. */
class LocalLink implements CoordinatorLink {
  private readonly listeners: ((id: number) => void)[] = [];

  constructor(
    private readonly coordinator: CheckpointCoordinator,
    private readonly index: number,
  ) {}

  requested(): number | undefined {
    return this.coordinator.requested;
  }
  sendPart(id: number, part: Uint8Array): void {
    this.coordinator.receivePart(this.index, id, part);
  }
  sendFinal(part: Uint8Array): void {
    this.coordinator.receiveFinal(this.index, part);
  }
  onCompleted(listener: (id: number) => void): void {
    this.listeners.push(listener);
  }
  finalCompleted(): Promise<void> {
    return this.coordinator.whenFinal();
  }
  complete(id: number): void {
    for (const l of this.listeners) l(id);
  }
}
