import { BufferWriter } from "../coders/index.js";
import type { ByteWriter } from "../model/index.js";
import { ColdStateFile } from "./cold-state-file.js";

/**
 * What an item's content is taken to cost in memory per byte of its encoding (live JS
 * objects against their bytes; the spilling GroupByKey's estimate).
 */
const BYTES_PER_ENCODED_BYTE = 4;
/** One changed item in this many is encoded after a bundle to learn its size (its bag may have grown). */
const SAMPLE_EVERY = 16;
/** An eviction brings the warm items down to this fraction of the share, so evictions are rare. */
const EVICT_TO = 0.5;
/** The file is rewritten when its freed records pass this many bytes and outweigh the live ones. */
const COMPACT_AFTER = 64 * 2 ** 20;

/** The fields a cold tier keeps on each item (a state entry, a window's grouped data). */
export interface ColdSlot {
  /** The offset of the item's content in the cold file, -1 while it is in memory. */
  cold: number;
  coldLength: number;
  /** A counter of the owner's (bundles, absorbs) when the item was last used. */
  lastUsed: number;
  /** Its estimated size in memory while warm. */
  size: number;
}

export interface ColdTierOptions<T extends ColdSlot> {
  /** The bytes the warm items may take (their step's share of --memoryBudget). */
  readonly share: number;
  /** Where the cold file goes (--tempLocation's spill directory). */
  readonly dir: string;
  /** A warm item's cost besides its content's bytes. */
  readonly itemOverhead: number;
  /** Encodes the item's content (what a checkpoint writes for it, so a snapshot copies the record). */
  readonly write: (item: T, out: ByteWriter) => void;
  /** Puts the content read back from its record into the item. */
  readonly read: (item: T, bytes: Uint8Array) => void;
  /** Drops the item's content from memory (it is on disk now). */
  readonly release: (item: T) => void;
  /** Bytes written to the cold file by an eviction (the step's spilledBytes metric). */
  readonly spilled?: (bytes: number) => void;
}

/**
 * The cold tier of a keyed table (state larger than memory): when the estimated size of the
 * warm items passes the share, the least recently used items are evicted between bundles,
 * their content written to a ColdStateFile and dropped from memory. The item itself stays,
 * hollow (its key, window and places in heaps), so timers, expiries and snapshots find it;
 * its owner warms it (reads it back) before its content is next used.
 *
 * Sizes are estimates: an item's size is measured when it is evicted or warmed (its
 * encoding's length) and for one changed item in SAMPLE_EVERY after a bundle; a new item
 * starts at the running average.
 */
export class ColdTier<T extends ColdSlot> {
  private readonly file: ColdStateFile;
  private readonly scratch = new BufferWriter();
  /** The estimated bytes of the warm items. */
  warmBytes = 0;
  private averageSize: number;
  private sampled = 0;
  /** Counters for tests. */
  evictions = 0;
  warmings = 0;

  constructor(private readonly options: ColdTierOptions<T>) {
    this.file = new ColdStateFile(options.dir);
    this.averageSize = options.itemOverhead + 64;
  }

  /** A new item (warm). */
  added(item: T): void {
    item.size = this.averageSize;
    this.warmBytes += item.size;
  }

  /** A restored item whose content took `encodedBytes` in the checkpoint. */
  restored(item: T, encodedBytes: number): void {
    this.resize(item, this.sizeOf(encodedBytes));
  }

  /** An item leaves its table: its record, if cold, is freed. */
  dropped(item: T): void {
    if (item.cold >= 0) {
      this.file.free(item.coldLength);
      item.cold = -1;
    } else this.warmBytes -= item.size;
  }

  /** An item is to be used: read back if cold. */
  warm(item: T): void {
    if (item.cold < 0) return;
    const bytes = this.file.read(item.cold, item.coldLength);
    this.file.free(item.coldLength);
    item.cold = -1;
    this.options.read(item, bytes);
    item.size = this.sizeOf(bytes.length);
    this.warmBytes += item.size;
    this.warmings++;
  }

  /** A cold item's record: its content as `write` encoded it. */
  record(item: T): Uint8Array {
    return this.file.read(item.cold, item.coldLength);
  }

  /**
   * Between bundles: measures some of the items the bundle changed, and evicts the least
   * recently used items if the warm ones outgrew the share. `items` lists the table's.
   */
  afterBundle(changed: readonly T[], items: () => T[], holds: (item: T) => boolean): void {
    for (const item of changed) {
      if (++this.sampled % SAMPLE_EVERY !== 0 || item.cold >= 0 || !holds(item)) continue;
      this.scratch.reset();
      this.options.write(item, this.scratch);
      this.resize(item, this.sizeOf(this.scratch.length));
    }
    if (this.warmBytes > this.options.share) this.evict(items());
  }

  /** Removes the cold file (the stage is done). */
  close(): void {
    this.file.close();
  }

  /** Evicts warm items, least recently used first, down to EVICT_TO of the share. */
  private evict(items: T[]): void {
    // Items the last bundle used go last (and only if the older ones were not enough).
    const candidates = items.filter((item) => item.cold < 0);
    candidates.sort((a, b) => a.lastUsed - b.lastUsed);
    const target = this.options.share * EVICT_TO;
    const before = this.file.written;
    for (const item of candidates) {
      if (this.warmBytes <= target) break;
      this.evictOne(item);
    }
    this.options.spilled?.(this.file.written - before);
    if (this.file.dead > COMPACT_AFTER && this.file.dead > this.file.live) this.compact(items);
  }

  private evictOne(item: T): void {
    const out = this.scratch;
    out.reset();
    this.options.write(item, out);
    const record = out.written();
    this.warmBytes -= item.size;
    this.averageSize = Math.round(this.averageSize + (this.sizeOf(record.length) - this.averageSize) / 16);
    item.cold = this.file.append(record);
    item.coldLength = record.length;
    this.options.release(item);
    this.evictions++;
  }

  /** Rewrites the live records into a new file (most of the old one was freed). */
  private compact(items: T[]): void {
    const old = this.file.beginCompaction();
    for (const item of items) {
      if (item.cold < 0) continue;
      item.cold = this.file.append(old.read(item.cold, item.coldLength));
    }
    old.finish();
  }

  private resize(item: T, size: number): void {
    this.warmBytes += size - item.size;
    item.size = size;
    // Whole numbers: a fraction would make every item's size a boxed double.
    this.averageSize = Math.round(this.averageSize + (size - this.averageSize) / 16);
  }

  private sizeOf(encodedBytes: number): number {
    return this.options.itemOverhead + encodedBytes * BYTES_PER_ENCODED_BYTE;
  }
}
