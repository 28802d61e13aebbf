import type { BoundedWindow, Instant } from "../../model/index.js";
import type { KeyIdentity, TimeDomain } from "../../transforms/index.js";
import { MinHeap } from "../min-heap.js";

/** One set timer of one key and window. */
export interface TimerEntry {
  readonly key: unknown;
  readonly keyId: KeyIdentity;
  readonly window: BoundedWindow;
  /** The declared timer (or timer family) name. */
  readonly name: string;
  /** The dynamic tag for a family; the name for a plain timer. */
  readonly tag: string;
  readonly domain: TimeDomain;
  readonly fireTimestamp: Instant;
  readonly outputTimestamp: Instant;
  /** False once cleared, replaced or fired; heaps skip dead entries. */
  live: boolean;
}

/**
 * The timers of a stateful ParDo: at most one per (key, window, timer, tag) — setting one
 * again replaces it — in two heaps by firing time (event and processing time) and one by
 * output timestamp, whose minimum holds the step's output watermark. Changes are
 * journaled per bundle, like state.
 */
export class TimerTable {
  private readonly byId = new Map<string, TimerEntry>();
  private readonly eventHeap = new MinHeap<TimerEntry>();
  private readonly procHeap = new MinHeap<TimerEntry>();
  private readonly holdHeap = new MinHeap<TimerEntry>();
  private journal: (() => void)[] = [];

  private static id(keyId: KeyIdentity, window: BoundedWindow, name: string, tag: string): string {
    return `${typeof keyId}:${String(keyId)}\u0000${window.id()}\u0000${name}\u0000${tag}`;
  }

  set(t: Omit<TimerEntry, "live">): void {
    const id = TimerTable.id(t.keyId, t.window, t.name, t.tag);
    const previous = this.byId.get(id);
    const entry: TimerEntry = { ...t, live: true };
    this.replace(id, previous, entry);
    this.journal.push(() => this.replace(id, entry, previous));
  }

  clear(keyId: KeyIdentity, window: BoundedWindow, name: string, tag: string): void {
    const id = TimerTable.id(keyId, window, name, tag);
    const previous = this.byId.get(id);
    if (previous === undefined) return;
    this.replace(id, previous, undefined);
    this.journal.push(() => this.replace(id, undefined, previous));
  }

  /** Removes and returns the earliest timer of `domain` due at `time`, if any. */
  popDue(domain: TimeDomain, isDue: (fireTimestamp: Instant) => boolean): TimerEntry | undefined {
    const heap = domain === "EVENT_TIME" ? this.eventHeap : this.procHeap;
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return undefined;
      if (!top.live) {
        heap.pop();
        continue;
      }
      if (!isDue(top.fireTimestamp)) return undefined;
      heap.pop();
      const id = TimerTable.id(top.keyId, top.window, top.name, top.tag);
      this.replace(id, top, undefined);
      this.journal.push(() => this.replace(id, undefined, top));
      return top;
    }
  }

  /** Every live timer of a window of a key (garbage collection clears them). */
  clearWindow(keyId: KeyIdentity, window: BoundedWindow): void {
    for (const t of [...this.byId.values()]) {
      if (t.keyId === keyId && t.window.id() === window.id()) this.clear(t.keyId, t.window, t.name, t.tag);
    }
  }

  /** The earliest output timestamp of a pending timer: the watermark hold. */
  minHold(): Instant {
    return this.minLive(this.holdHeap);
  }

  /** The earliest processing-time timer. */
  nextProcessingTime(): Instant {
    return this.minLive(this.procHeap);
  }

  get size(): number {
    return this.byId.size;
  }

  begin(): void {
    this.journal = [];
  }

  commit(): void {
    this.journal = [];
  }

  abort(): void {
    for (let i = this.journal.length - 1; i >= 0; i--) this.journal[i]!();
    this.journal = [];
  }

  private minLive(heap: MinHeap<TimerEntry>): Instant {
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return Infinity;
      if (top.live) return heap.peekKey();
      heap.pop();
    }
  }

  private replace(id: string, from: TimerEntry | undefined, to: TimerEntry | undefined): void {
    if (from !== undefined) from.live = false;
    if (to === undefined) {
      this.byId.delete(id);
      return;
    }
    to.live = true;
    this.byId.set(id, to);
    (to.domain === "EVENT_TIME" ? this.eventHeap : this.procHeap).push(to.fireTimestamp, to);
    this.holdHeap.push(to.outputTimestamp, to);
  }
}
