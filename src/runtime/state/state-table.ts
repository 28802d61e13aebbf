import type { BoundedWindow } from "../../model/index.js";
import type { KeyIdentity } from "../../transforms/index.js";
import type { ColdSlot, ColdTier } from "../cold-tier.js";

/** The state cells of one key and window: state name to its stored form. */
export interface StateEntry extends ColdSlot {
  readonly key: unknown;
  readonly keyId: KeyIdentity;
  readonly window: BoundedWindow;
  /** While the entry is cold (cold tier): COLD_CELLS, shared and empty; its cells are on disk. */
  cells: Map<string, unknown>;
  /** Accessors built for this entry, reused across elements. */
  accessors: Record<string, unknown> | undefined;
  /** The bundle in which each cell was first changed (for the undo journal). */
  touched: Map<string, number>;
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
  /** Keeps the least recently used entries' cells on disk (state larger than memory); none by default. */
  private tier: ColdTier<StateEntry> | undefined;
  /** Entries changed or created by the open bundle (with a cold tier, which measures some). */
  private changed: StateEntry[] = [];
  /** Entries restored so far (the cold tier evicts every 1,024 during a restore). */
  private restoredCount = 0;

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
      e = {
        key: this.outputKey(key, keyId),
        keyId,
        window,
        cells: new Map(),
        accessors: undefined,
        touched: new Map(),
        snapshotMark: 0,
        snapshotSlot: 0,
        cold: -1,
        coldLength: 0,
        lastUsed: this.bundle,
        size: 0,
      };
      windows.set(wid, e);
      const created = e;
      this.journal.push(() => this.drop(created));
      if (this.tier !== undefined) {
        this.tier.added(e);
        this.changed.push(e);
      }
    }
    return e;
  }

  /** Gives the table a cold tier: from then on its least recently used entries may go to disk. */
  keepColdEntries(tier: ColdTier<StateEntry>): void {
    this.tier = tier;
  }

  /**
   * `e` is about to be used (its DoFn gets its accessors): its cells are read back if they
   * went to disk, and it counts as recently used.
   */
  use(e: StateEntry): void {
    if (this.tier === undefined) return;
    if (e.cold >= 0) this.tier.warm(e);
    e.lastUsed = this.bundle;
  }

  /** A cold entry's cells, encoded (EntryCellsCodec), for a snapshot. */
  coldCells(e: StateEntry): Uint8Array {
    if (this.tier === undefined || e.cold < 0) throw new Error("internal error: a warm state entry was read as cold");
    return this.tier.record(e);
  }

  /**
   * A restored entry whose cells took `encodedBytes` in its checkpoint: sized, and every
   * 1,024 entries the warm ones are evicted if they outgrew the share, so a restore larger
   * than the heap fits.
   */
  restored(e: StateEntry, encodedBytes: number): void {
    if (this.tier === undefined) return;
    this.tier.restored(e, encodedBytes);
    if (++this.restoredCount % 1024 === 0) this.tier.afterBundle([], () => this.list(), (x) => this.holds(x));
  }

  /** Removes the cold tier's file (the stage is done). */
  close(): void {
    this.tier?.close();
  }

  /**
   * Records the cell's current content before its first change in this bundle; `copy`
   * makes an independent copy of a mutable content (bag, map, set, accumulator).
   */
  beforeChange(e: StateEntry, name: string, copy: (content: unknown) => unknown): void {
    this.touchHook?.(e);
    if (e.touched.get(name) === this.bundle) return;
    e.touched.set(name, this.bundle);
    if (this.tier !== undefined) this.changed.push(e);
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
    this.changed = [];
  }

  /** Keeps the bundle's changes; with a cold tier, then evicts if the warm entries outgrew its share. */
  commit(): void {
    this.journal = [];
    if (this.tier !== undefined) {
      const changed = this.changed;
      this.changed = [];
      this.tier.afterBundle(changed, () => this.list(), (e) => this.holds(e));
    }
  }

  /** Undoes the bundle's changes, newest first. */
  abort(): void {
    for (let i = this.journal.length - 1; i >= 0; i--) this.journal[i]!();
    this.journal = [];
    this.changed = [];
    this.bundle++;
  }

  /** Removes a window's state (garbage collection); journaled like any change. */
  clearWindow(e: StateEntry): void {
    this.use(e);
    this.touchHook?.(e);
    const saved = new Map(e.cells);
    this.drop(e);
    this.journal.push(() => {
      for (const [k, v] of saved) e.cells.set(k, v);
      let windows = this.entries.get(e.keyId);
      if (windows === undefined) this.entries.set(e.keyId, (windows = new Map()));
      windows.set(e.window.id(), e);
      this.tier?.added(e);
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
    if (windows.get(e.window.id()) !== e) {
      e.cells.clear();
      return;
    }
    windows.delete(e.window.id());
    if (windows.size === 0) this.entries.delete(e.keyId);
    // A cold entry's cells are the shared empty COLD_CELLS: it gets maps of its own again.
    const wasCold = e.cold >= 0;
    this.tier?.dropped(e);
    if (wasCold) {
      e.cells = new Map();
      e.touched = new Map();
    } else e.cells.clear();
  }
}
