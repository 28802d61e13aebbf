import type { BoundedWindow } from "../../model/index.js";
import type { KeyIdentity } from "../../transforms/index.js";

/** The state cells of one key and window: state name to its stored form. */
export interface StateEntry {
  readonly key: unknown;
  readonly keyId: KeyIdentity;
  readonly window: BoundedWindow;
  readonly cells: Map<string, unknown>;
  /** Accessors built for this entry, reused across elements. */
  accessors: Record<string, unknown> | undefined;
  /** The bundle in which each cell was first changed (for the undo journal). */
  readonly touched: Map<string, number>;
  /** The last state snapshot that captured this entry, and the entry's place in it (state-snapshot.ts). */
  snapshotMark: number;
  snapshotSlot: number;
}

/**
 * The state of a stateful ParDo: per key and window, named cells. Changes made by a
 * bundle are journaled and undone if the bundle fails, so a retried bundle sees the state
 * as it was (Beam commits state with the bundle's output).
 */
export class StateTable {
  private readonly entries = new Map<KeyIdentity, Map<string, StateEntry>>();
  private journal: (() => void)[] = [];
  private bundle = 0;
  /**
   * Called before any cell of an entry changes and before a window's state is cleared, while
   * a copy-on-write snapshot is being written (PendingStateSnapshot), so that it can write the
   * entry first, as it was.
   */
  touchHook: ((e: StateEntry) => void) | undefined;

  /**
   * `outputKey` gives the key an entry keeps, which its timers and onWindowExpiration see
   * (the embedded runner's: the key decoded from its encoding, as Beam's runners give it);
   * by default the key of the first element.
   */
  constructor(private readonly outputKey: (key: unknown, keyId: KeyIdentity) => unknown = (key) => key) {}

  /** The entry of (key, window), created on first use. */
  entry(key: unknown, keyId: KeyIdentity, window: BoundedWindow): StateEntry {
    let windows = this.entries.get(keyId);
    if (windows === undefined) this.entries.set(keyId, (windows = new Map()));
    const wid = window.id();
    let e = windows.get(wid);
    if (e === undefined) {
      e = { key: this.outputKey(key, keyId), keyId, window, cells: new Map(), accessors: undefined, touched: new Map(), snapshotMark: 0, snapshotSlot: 0 };
      windows.set(wid, e);
      const created = e;
      this.journal.push(() => this.drop(created));
    }
    return e;
  }

  /**
   * Records the cell's current content before its first change in this bundle; `copy`
   * makes an independent copy of a mutable content (bag, map, set, accumulator).
   */
  beforeChange(e: StateEntry, name: string, copy: (content: unknown) => unknown): void {
    this.touchHook?.(e);
    if (e.touched.get(name) === this.bundle) return;
    e.touched.set(name, this.bundle);
    const had = e.cells.has(name);
    const saved = had ? copy(e.cells.get(name)) : undefined;
    this.journal.push(() => {
      if (had) e.cells.set(name, saved);
      else e.cells.delete(name);
    });
  }

  /** Starts a bundle's journal. */
  begin(): void {
    this.bundle++;
    this.journal = [];
  }

  /** Keeps the bundle's changes. */
  commit(): void {
    this.journal = [];
  }

  /** Undoes the bundle's changes, newest first. */
  abort(): void {
    for (let i = this.journal.length - 1; i >= 0; i--) this.journal[i]!();
    this.journal = [];
    this.bundle++;
  }

  /** Removes a window's state (garbage collection); journaled like any change. */
  clearWindow(e: StateEntry): void {
    this.touchHook?.(e);
    const saved = new Map(e.cells);
    this.drop(e);
    this.journal.push(() => {
      for (const [k, v] of saved) e.cells.set(k, v);
      let windows = this.entries.get(e.keyId);
      if (windows === undefined) this.entries.set(e.keyId, (windows = new Map()));
      windows.set(e.window.id(), e);
    });
  }

  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  /**
   * Every entry, key by key in creation order (for checkpoints): creating them again in
   * this order gives the same iteration order.
   */
  *all(): IterableIterator<StateEntry> {
    for (const windows of this.entries.values()) yield* windows.values();
  }

  /** Every entry, in `all()`'s order, as an array (a snapshot's list: no generator step per entry). */
  list(): StateEntry[] {
    const out: StateEntry[] = [];
    for (const windows of this.entries.values()) for (const e of windows.values()) out.push(e);
    return out;
  }

  /** Whether `e` is the table's entry of its key and window (false once dropped). */
  holds(e: StateEntry): boolean {
    return this.entries.get(e.keyId)?.get(e.window.id()) === e;
  }

  private drop(e: StateEntry): void {
    const windows = this.entries.get(e.keyId);
    if (windows === undefined) return;
    windows.delete(e.window.id());
    if (windows.size === 0) this.entries.delete(e.keyId);
    e.cells.clear();
  }
}
