import { BufferReader } from "../../coders/index.js";
import type { StateSpecMap } from "../../transforms/index.js";
import { ColdTier } from "../cold-tier.js";
import { EntryCellsCodec } from "./entry-cells.js";
import type { StateEntry } from "./state-table.js";

/**
 * The cells (and the journal's marks) of every cold state entry: one shared empty map, so
 * that a cold entry costs no map of its own. Nothing may change it: a cold entry is warmed
 * before any use.
 */
class ColdMap<V> extends Map<string, V> {
  override set(name: string): this {
    throw new Error(`internal error: state "${name}" of a cold state entry changed before the entry was read back`);
  }
}
const COLD_CELLS: Map<string, unknown> = new ColdMap<unknown>();
const COLD_TOUCHED: Map<string, number> = new ColdMap<number>();

/**
 * What a warm state entry costs besides its cells' content: the StateEntry, its maps, its
 * place in the table, and the accessor objects and closures built for it, per declared
 * state and timer. Measured: 1,000,000 keys of one value state took 1,746 bytes each.
 */
export function warmEntryOverhead(statesAndTimers: number): number {
  return 1000 + 750 * statesAndTimers;
}

export interface StateColdTierOptions {
  readonly share: number;
  readonly dir: string;
  readonly specs: StateSpecMap;
  /** Declared timers (their closures are part of an entry's cost). */
  readonly timers: number;
  /** Called when an entry goes cold: its owner drops what it built for it (accessors). */
  readonly evicted?: (e: StateEntry) => void;
  readonly spilled?: (bytes: number) => void;
}

/**
 * A state table's cold tier (StateTable.keepColdEntries): a cold entry's record is its cells
 * as a checkpoint writes them (EntryCellsCodec), so a snapshot copies it as it is. A cold
 * entry keeps its key, window and offset in memory (about 400 bytes with its place in the
 * table and the expiry heap, measured for 1M string keys), whatever its cells hold.
 */
export function stateColdTier(options: StateColdTierOptions): ColdTier<StateEntry> {
  const codec = new EntryCellsCodec(options.specs);
  return new ColdTier<StateEntry>({
    share: options.share,
    dir: options.dir,
    itemOverhead: warmEntryOverhead(Object.keys(options.specs).length + options.timers),
    write: (e, out) => codec.write(e.cells, out),
    read: (e, bytes) => {
      e.cells = new Map();
      e.touched = new Map();
      codec.read(new BufferReader(bytes), e.cells);
    },
    release: (e) => {
      e.cells = COLD_CELLS;
      e.touched = COLD_TOUCHED;
      options.evicted?.(e);
    },
    ...(options.spilled !== undefined ? { spilled: options.spilled } : {}),
  });
}
