import type { BoundedWindow, Coder, Instant } from "../model/index.js";
import { keyIdentityFn, type KeyIdentity } from "../transforms/index.js";

/**
 * The state of one (key, window) in a table, with the range of the times it was given: the
 * elements' timestamps (a grouping step under EARLIEST_TRANSFORMED gives their transformed
 * output times instead).
 */
export interface WindowEntry<S> {
  readonly window: BoundedWindow;
  state: S;
  minTimestamp: Instant;
  maxTimestamp: Instant;
  /** How many times `entry` returned this entry: the elements added to it. */
  count: number;
  /** Every element's timestamp, when the table keeps them (`keepTimestamps`). */
  timestamps?: Instant[];
}

/** All windows of one key. The first window has its own slot: most keys have one window. */
export interface KeyEntry<S> {
  readonly key: unknown;
  first: WindowEntry<S>;
  more: Map<string, WindowEntry<S>> | undefined;
}

/**
 * State per key and window, the shared structure behind GroupByKey and lifted Combine.
 * Keys are compared by Beam's rule (equal encodings) through a key identity that avoids
 * encoding for primitive keys.
 */
export class KeyedWindowTable<S> {
  private readonly entries = new Map<KeyIdentity, KeyEntry<S>>();
  private readonly identity: (key: unknown) => KeyIdentity;

  /**
   * `keepTimestamps`: entries list every element's timestamp, for the EARLIEST timestamp
   * combiner, whose hold is the earliest timestamp not behind the output watermark (Beam
   * holds element by element; a range cannot tell which elements are late).
   */
  constructor(
    keyCoder: Coder<unknown>,
    private readonly keepTimestamps = false,
  ) {
    this.identity = keyIdentityFn(keyCoder);
  }

  get keyCount(): number {
    return this.entries.size;
  }

  /**
   * Finds or creates the entry for (key, window) and returns it with its timestamp range
   * widened by `timestamp`; `init` makes the state of a new entry.
   */
  entry(key: unknown, window: BoundedWindow, timestamp: Instant, init: () => S): WindowEntry<S> {
    const id = this.identity(key);
    const ke = this.entries.get(id);
    if (ke === undefined) {
      const we = this.newEntry(window, timestamp, init);
      this.entries.set(id, { key, first: we, more: undefined });
      return we;
    }
    let we: WindowEntry<S> | undefined;
    if (ke.first.window === window || ke.first.window.id() === window.id()) we = ke.first;
    else {
      const wid = window.id();
      we = ke.more?.get(wid);
      if (we === undefined) {
        we = this.newEntry(window, timestamp, init);
        (ke.more ??= new Map()).set(wid, we);
        return we;
      }
    }
    we.count++;
    if (timestamp < we.minTimestamp) we.minTimestamp = timestamp;
    if (timestamp > we.maxTimestamp) we.maxTimestamp = timestamp;
    we.timestamps?.push(timestamp);
    return we;
  }

  private newEntry(window: BoundedWindow, timestamp: Instant, init: () => S): WindowEntry<S> {
    const we: WindowEntry<S> = { window, state: init(), minTimestamp: timestamp, maxTimestamp: timestamp, count: 1 };
    if (this.keepTimestamps) we.timestamps = [timestamp];
    return we;
  }

  /** Every key with its window entries. */
  *keys(): IterableIterator<KeyEntry<S>> {
    yield* this.entries.values();
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The window entries of one key, as a list. */
export function windowEntries<S>(ke: KeyEntry<S>): WindowEntry<S>[] {
  return ke.more === undefined ? [ke.first] : [ke.first, ...ke.more.values()];
}
