import { BufferReader, BufferWriter } from "../../coders/index.js";
import { ColdStateFile } from "./cold-state-file.js";
import type { EntryCellsCodec } from "./entry-cells.js";
import type { StateEntry } from "./state-table.js";

/**
 * What an entry's cells are taken to cost in memory per byte of their encoding (live JS
 * objects against their bytes; the spilling GroupByKey's estimate).
 */
const BYTES_PER_ENCODED_BYTE = 4;
/**
 * What a warm entry costs besides its cells' content: the StateEntry, its maps, its place in
 * the table, and the accessor objects and closures built for it, per declared state and
 * timer. Measured: 1,000,000 keys of one value state took 1,746 bytes each in the heap.
 */
export function warmEntryOverhead(statesAndTimers: number): number {
  return 1000 + 750 * statesAndTimers;
}
/** One changed entry in this many is encoded at commit to learn its size (its bag may have grown). */
const SAMPLE_EVERY = 16;
/** An eviction brings the warm entries down to this fraction of the share, so evictions are rare. */
const EVICT_TO = 0.5;
/** The file is rewritten when its freed records pass this many bytes and outweigh the live ones. */
const COMPACT_AFTER = 64 * 2 ** 20;

/**
 * The cells (and the journal's marks) of every cold entry: one shared empty map, so that a
 * cold entry costs no map of its own. Nothing may change it: a cold entry is warmed before
 * any use.
 */
class ColdMap<V> extends Map<string, V> {
  override set(name: string): this {
    throw new Error(`internal error: state "${name}" of a cold state entry changed before the entry was read back`);
  }
}
const COLD_CELLS: Map<string, unknown> = new ColdMap<unknown>();
const COLD_TOUCHED: Map<string, number> = new ColdMap<number>();

export interface ColdTierOptions {
  /** The bytes the table's warm entries may take (its step's share of --memoryBudget). */
  readonly share: number;
  /** Where the cold file goes (--tempLocation's spill directory). */
  readonly dir: string;
  readonly codec: EntryCellsCodec;
  /** A warm entry's cost besides its cells (warmEntryOverhead). */
  readonly entryOverhead: number;
  /** Called when an entry goes cold: the stage drops what it built for the entry (accessors). */
  readonly evicted?: (e: StateEntry) => void;
  /** Bytes written to the cold file by an eviction (the step's spilledBytes metric). */
  readonly spilled?: (bytes: number) => void;
}

/** The entries a tier may evict: the table's, in order (StateTable.list). */
export interface ColdTierTable {
  list(): StateEntry[];
}

/**
 * The cold tier of a state table (state larger than memory): when the estimated size of the
 * warm entries passes the share, the least recently used entries are evicted between bundles,
 * their cells written to a ColdStateFile as EntryCellsCodec bytes and cleared from memory.
 * The StateEntry itself stays, hollow (key, window, its place in the expiry heap and the
 * table), so timers, expiries and snapshots find it; it is warmed (read back) when its key
 * and window are next used. A cold entry keeps its key, window and offset in memory (about
 * 400 bytes with its place in the table and the expiry heap, measured for 1M string keys),
 * whatever its cells hold.
 *
 * Sizes are estimates: an entry's size is measured when it is evicted or warmed (its
 * encoding's length) and for one changed entry in SAMPLE_EVERY at commit; a new entry
 * starts at the running average.
 */
export class ColdTier {
  private readonly file: ColdStateFile;
  private readonly scratch = new BufferWriter();
  /** The estimated bytes of the warm entries. */
  warmBytes = 0;
  private averageSize: number;
  private sampled = 0;
  /** Counters for tests and metrics. */
  evictions = 0;
  warmings = 0;

  constructor(private readonly options: ColdTierOptions) {
    this.file = new ColdStateFile(options.dir);
    this.averageSize = options.entryOverhead + 64;
  }

  /** A new entry (warm, empty or restored). */
  added(e: StateEntry): void {
    e.size = this.averageSize;
    this.warmBytes += e.size;
  }

  /** A restored entry whose cells took `encodedBytes` in the checkpoint. */
  restored(e: StateEntry, encodedBytes: number): void {
    this.resize(e, this.sizeOf(encodedBytes));
  }

  /** An entry leaves the table (its window expired, or the bundle that made it failed). */
  dropped(e: StateEntry): void {
    if (e.cold >= 0) {
      this.file.free(e.coldLength);
      e.cold = -1;
      e.cells = new Map();
      e.touched = new Map();
    } else this.warmBytes -= e.size;
  }

  /** An entry is to be used: read back if cold. */
  warm(e: StateEntry): void {
    if (e.cold < 0) return;
    const bytes = this.file.read(e.cold, e.coldLength);
    this.file.free(e.coldLength);
    e.cold = -1;
    e.cells = new Map();
    e.touched = new Map();
    this.options.codec.read(new BufferReader(bytes), e.cells);
    e.size = this.sizeOf(bytes.length);
    this.warmBytes += e.size;
    this.warmings++;
  }

  /** A cold entry's cells as a snapshot writes them (its record). */
  record(e: StateEntry): Uint8Array {
    return this.file.read(e.cold, e.coldLength);
  }

  /**
   * After a bundle committed (no journal open): measures some of the entries it changed, and
   * evicts the least recently used entries if the warm ones outgrew the share.
   */
  afterCommit(changed: readonly StateEntry[], table: ColdTierTable, holds: (e: StateEntry) => boolean): void {
    for (const e of changed) {
      if (++this.sampled % SAMPLE_EVERY !== 0 || e.cold >= 0 || !holds(e)) continue;
      this.scratch.reset();
      this.options.codec.write(e.cells, this.scratch);
      this.resize(e, this.sizeOf(this.scratch.length));
    }
    if (this.warmBytes > this.options.share) this.evict(table);
  }

  /** Evicts warm entries, least recently used first, down to EVICT_TO of the share. */
  evict(table: ColdTierTable): void {
    // Entries the committed bundle used go last (and only if the older ones were not enough).
    const candidates = table.list().filter((e) => e.cold < 0);
    candidates.sort((a, b) => a.lastUsed - b.lastUsed);
    const target = this.options.share * EVICT_TO;
    const before = this.file.written;
    for (const e of candidates) {
      if (this.warmBytes <= target) break;
      this.evictOne(e);
    }
    this.options.spilled?.(this.file.written - before);
    if (this.file.dead > COMPACT_AFTER && this.file.dead > this.file.live) this.compact(table);
  }

  /** Removes the cold file (the stage is done). */
  close(): void {
    this.file.close();
  }

  private evictOne(e: StateEntry): void {
    const out = this.scratch;
    out.reset();
    this.options.codec.write(e.cells, out);
    const record = out.written();
    this.warmBytes -= e.size;
    this.averageSize += (this.sizeOf(record.length) - this.averageSize) / 16;
    e.cold = this.file.append(record);
    e.coldLength = record.length;
    e.cells = COLD_CELLS;
    e.touched = COLD_TOUCHED;
    this.options.evicted?.(e);
    this.evictions++;
  }

  /** Rewrites the live records into a new file (most of the old one was freed). */
  private compact(table: ColdTierTable): void {
    const old = this.file.beginCompaction();
    for (const e of table.list()) {
      if (e.cold < 0) continue;
      e.cold = this.file.append(old.read(e.cold, e.coldLength));
    }
    old.finish();
  }

  private resize(e: StateEntry, size: number): void {
    this.warmBytes += size - e.size;
    e.size = size;
    this.averageSize += (size - this.averageSize) / 16;
  }

  private sizeOf(encodedBytes: number): number {
    return this.options.entryOverhead + encodedBytes * BYTES_PER_ENCODED_BYTE;
  }
}
