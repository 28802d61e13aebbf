import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant } from "../../model/index.js";
import type { KeyIdentity, TimeDomain } from "../../transforms/index.js";
import { MinHeap } from "../min-heap.js";
import { corruptSnapshot, readCount } from "../reduce/reduce-snapshot.js";

/** The coders a timer table's snapshot writes keys and windows with: the step's own. */
export interface TimerSnapshotCoders {
  /** The step's deterministic key coder. */
  readonly key: Coder<unknown>;
  /** The windowing's window coder (windowCoderOf). */
  readonly window: Coder<BoundedWindow>;
  /** The identity (Beam's key equality) of a decoded key. */
  readonly keyId: (key: unknown) => KeyIdentity;
}

/** A stale heap copy of a cleared, replaced or fired timer, restored only to keep the heap's shape. */
const STALE: TimerEntry = { key: undefined, keyId: undefined, window: undefined as unknown as BoundedWindow, name: "", tag: "", domain: "EVENT_TIME", fireTimestamp: Infinity, outputTimestamp: Infinity, live: false };
const DOMAINS: readonly TimeDomain[] = ["EVENT_TIME", "PROCESSING_TIME"];

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

  /**
   * Writes the pending timers and the heaps' shapes (checkpoints; called between bundles,
   * so the journal is empty). Layout:
   *
   *   varint n                      pending timers, in the table's order
   *   n × timer                     key (key coder, nested), window (window coder, nested),
   *                                 utf8 name, utf8 tag, byte domain (0 event, 1 processing),
   *                                 double fireTimestamp, double outputTimestamp (the hold)
   *   3 × heap                      event time, processing time, holds, each:
   *     varint size, size × (double key, varint ref: 0 a stale copy, i + 1 timer i)
   *
   * The heaps are written slot by slot, stale copies included, and pushed back in that
   * order, so timers with equal times fire in the same order after a restore.
   */
  snapshot(out: ByteWriter, coders: TimerSnapshotCoders): void {
    const index = new Map<TimerEntry, number>();
    out.writeVarInt(this.byId.size);
    for (const t of this.byId.values()) {
      index.set(t, index.size);
      coders.key.encode(t.key, out, true);
      coders.window.encode(t.window, out, true);
      out.writeUtf8(t.name, true);
      out.writeUtf8(t.tag, true);
      out.writeByte(DOMAINS.indexOf(t.domain));
      out.writeDoubleBE(t.fireTimestamp);
      out.writeDoubleBE(t.outputTimestamp);
    }
    for (const heap of [this.eventHeap, this.procHeap, this.holdHeap]) {
      out.writeVarInt(heap.size);
      for (const [key, t] of heap.stored()) {
        out.writeDoubleBE(key);
        out.writeVarInt(t.live ? index.get(t)! + 1 : 0);
      }
    }
  }

  /**
   * Reads what `snapshot` wrote into this table, which must be empty. Timers of the families
   * in `drop` (no longer declared by the DoFn, --allowDroppingState) are not restored: their
   * heap slots become stale copies, so the heaps keep their shape.
   */
  restore(input: ByteReader, coders: TimerSnapshotCoders, drop: ReadonlySet<string> = new Set(), keep?: (key: unknown) => boolean): void {
    // With `keep` (a restore at another --parallelism), timers of keys another executor owns
    // now are left to it like dropped ones, and the timers of several old parts merge.
    if (keep === undefined && (this.byId.size > 0 || this.eventHeap.size > 0)) throw corruptSnapshot("timers restored into a table that holds timers");
    const timers: TimerEntry[] = [];
    const n = readCount(input, "the number of timers");
    for (let i = 0; i < n; i++) {
      const key = coders.key.decode(input, true);
      const window = coders.window.decode(input, true);
      const name = input.readUtf8(readCount(input, "a timer name's length"));
      const tag = input.readUtf8(readCount(input, "a timer tag's length"));
      const d = input.readByte();
      const domain = DOMAINS[d];
      if (domain === undefined) throw corruptSnapshot(`timer domain code ${d} is not 0 or 1`);
      const t: TimerEntry = { key, keyId: coders.keyId(key), window, name, tag, domain, fireTimestamp: input.readDoubleBE(), outputTimestamp: input.readDoubleBE(), live: true };
      if (drop.has(name) || (keep !== undefined && !keep(key))) {
        timers.push(STALE);
        continue;
      }
      const id = TimerTable.id(t.keyId, window, name, tag);
      if (this.byId.has(id)) throw corruptSnapshot(`timer "${tag}" appears twice for one key and window`);
      this.byId.set(id, t);
      timers.push(t);
    }
    const heaps: [MinHeap<TimerEntry>, (t: TimerEntry) => boolean][] = [
      [this.eventHeap, (t) => t.domain === "EVENT_TIME"],
      [this.procHeap, (t) => t.domain === "PROCESSING_TIME"],
      [this.holdHeap, () => true],
    ];
    for (const [heap, belongs] of heaps) {
      const size = readCount(input, "a timer heap's size");
      for (let i = 0; i < size; i++) {
        const key = input.readDoubleBE();
        const ref = input.readVarInt();
        if (ref === 0) {
          heap.push(key, STALE);
          continue;
        }
        const t = timers[ref - 1];
        if (t === STALE) {
          heap.push(key, STALE);
          continue;
        }
        if (t === undefined || !belongs(t)) throw corruptSnapshot(`timer heap slot ${i} refers to timer ${ref - 1}, which it cannot hold`);
        heap.push(key, t);
      }
    }
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
