import { CopyOnWriteWriter } from "../copy-on-write-writer.js";
import type { ByteReader, ByteWriter } from "../../model/index.js";
import type { StateSpecMap } from "../../transforms/index.js";
import type { MinHeap } from "../min-heap.js";
import { corruptSnapshot, readCount } from "../reduce/reduce-snapshot.js";
import { EntryCellsCodec } from "./entry-cells.js";
import { stateCellCodec, type StateCellCodec } from "./state-cell-codec.js";
import type { StateEntry, StateTable } from "./state-table.js";
import type { TimerSnapshotCoders } from "./timer-table.js";

/** What a stateful step's state is written with: its specs' coders, its key and window coders. */
export interface StateSnapshotContext {
  readonly specs: StateSpecMap;
  /** Keys, windows and key identity, as for the step's timers. */
  readonly coders: TimerSnapshotCoders;
  /** On restore: cells the checkpoint wrote with a declared migration's old coder, read with these (state-migration-codec.ts). */
  readonly readWith?: ReadonlyMap<string, StateCellCodec>;
  /**
   * On restore: whether each cell's content is preceded by its byte length (layout 2; layout
   * 1 snapshots, written before, are not), which lets a restore skip cells it drops.
   */
  readonly lengthPrefixedCells?: boolean;
  /**
   * On restore: cells the checkpoint holds and the DoFn no longer declares, whose values are
   * dropped (--allowDroppingState; restore-plan.ts has checked). Needs length-prefixed cells.
   */
  readonly drop?: ReadonlySet<string>;
  /**
   * On restore at another --parallelism: the keys to restore (the others are read and left
   * to the executor owning them now), merged with entries already read from other parts.
   */
  readonly keep?: (key: unknown) => boolean;
}

/**
 * Writes a stateful step's state table and its pending window expiries (checkpoints;
 * between bundles, so no journal is open). Layout:
 *
 *   varint n                      entries (key, window), in the table's order
 *   varint m, m × utf8 name       the DoFn's state names, sorted (the cells below refer to
 *                                 them by position: a name per cell would cost more than
 *                                 most values)
 *   n × entry                     key (key coder, nested), window (window coder, nested),
 *                                 varint cells, cells × (varint name position, varint content
 *                                 length, content: see state-cell-codec.ts)
 *   expiries                      varint size, size × (double garbage-collection time,
 *                                 varint ref: 0 a stale copy, i + 1 entry i), heap slot order
 *
 * An entry with no cells is written too: its window still expires (onWindowExpiration).
 * A stale copy (of an entry dropped when the bundle that made it failed) is not restored.
 * The content length lets a restore skip a cell the updated DoFn no longer declares
 * (--allowDroppingState) without its coder; snapshots written before it (the stateful
 * stage's layout 1) have none and are read with `lengthPrefixedCells: false`.
 */
export function writeStateSnapshot(out: ByteWriter, table: StateTable, expiries: MinHeap<StateEntry>, ctx: StateSnapshotContext): void {
  out.writeBytes(beginStateSnapshot(table, expiries, ctx).finish());
}

/** Snapshots taken so far (in this thread): marks which snapshot captured an entry. */
let snapshots = 0;

/**
 * A state snapshot taken now and written later (copy on write, CopyOnWriteWriter), so that
 * the executor stops only to list the table's entries, not to encode them: writeStateSnapshot's
 * layout, with the entries encoded in slices (`advance`) while the job goes on. An entry about
 * to change before its turn is encoded first, as it was (the table's `touchHook`, called
 * before every change of a cell and before a window's state is cleared); entries created
 * after the snapshot are not in it. The pending window expiries are copied at once (a number
 * and a reference each) and written at the end.
 */
export class PendingStateSnapshot {
  private readonly mark = ++snapshots;
  private readonly cells: EntryCellsCodec;
  private readonly writer: CopyOnWriteWriter<StateEntry>;
  private readonly expiries: { readonly keys: number[]; readonly items: StateEntry[] };
  private bytes: Uint8Array | undefined;

  constructor(
    private readonly table: StateTable,
    expiries: MinHeap<StateEntry>,
    private readonly ctx: StateSnapshotContext,
  ) {
    if (table.touchHook !== undefined) throw new Error("internal error: a state table has two snapshots in progress");
    this.cells = new EntryCellsCodec(ctx.specs);
    const names = this.cells.names;
    const entries = table.list();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      e.snapshotMark = this.mark;
      e.snapshotSlot = i;
    }
    const header = (out: ByteWriter) => {
      out.writeVarInt(entries.length);
      out.writeVarInt(names.length);
      for (const name of names) out.writeUtf8(name, true);
    };
    this.writer = new CopyOnWriteWriter(entries, header, (e, out) => this.encode(e, out));
    // Copied now, written at the end: an entry's mark and slot stay until the next snapshot.
    this.expiries = expiries.storedCopy();
    if (entries.length > 0) table.touchHook = this.hook;
  }

  /** Encodes entries in order until `deadline` (performance.now()); true when all are written. */
  advance(deadline: number): boolean {
    const done = this.writer.advance(deadline);
    if (done) this.release();
    return done;
  }

  /** The snapshot's bytes, encoding what is left now. */
  finish(): Uint8Array {
    if (this.bytes === undefined) {
      this.release();
      const { keys, items } = this.expiries;
      this.bytes = this.writer.finish((out) => {
        out.writeVarInt(keys.length);
        for (let i = 0; i < keys.length; i++) {
          out.writeDoubleBE(keys[i]!);
          // A stale copy (not in the table) refers to no entry.
          const e = items[i]!;
          out.writeVarInt(e.snapshotMark === this.mark ? e.snapshotSlot + 1 : 0);
        }
      });
    }
    return this.bytes;
  }

  /** Stops watching the table (the snapshot is written, or abandoned with its checkpoint). */
  private release(): void {
    if (this.table.touchHook === this.hook) this.table.touchHook = undefined;
  }

  /** Before `e` changes: encodes it as it is, if the snapshot holds it and has not written it yet. */
  private readonly hook = (e: StateEntry): void => {
    if (e.snapshotMark === this.mark) this.writer.touch(e.snapshotSlot);
  };

  private encode(e: StateEntry, out: ByteWriter): void {
    this.ctx.coders.key.encode(e.key, out, true);
    this.ctx.coders.window.encode(e.window, out, true);
    // A cold entry's record is its cells in this very layout (state-cold-tier.ts).
    if (e.cold >= 0) out.writeBytes(this.table.coldCells(e));
    else this.cells.write(e.cells, out);
  }
}

/** Starts a copy-on-write snapshot of `table` (see PendingStateSnapshot); between bundles. */
export function beginStateSnapshot(table: StateTable, expiries: MinHeap<StateEntry>, ctx: StateSnapshotContext): PendingStateSnapshot {
  return new PendingStateSnapshot(table, expiries, ctx);
}

/**
 * Reads what writeStateSnapshot wrote into an empty table and heap; `attach` gives each
 * restored entry its accessors (as the stage does when it first binds an entry).
 */
export function readStateSnapshot(
  input: ByteReader,
  table: StateTable,
  expiries: MinHeap<StateEntry>,
  ctx: StateSnapshotContext,
  attach: (e: StateEntry) => void,
): void {
  if (ctx.keep === undefined && (!table.isEmpty || expiries.size > 0)) throw corruptSnapshot("state restored into a table that holds state");
  const codecs = codecsOf(ctx.specs);
  for (const [name, codec] of ctx.readWith ?? []) codecs.set(name, codec);
  const prefixed = ctx.lengthPrefixedCells ?? true;
  // An entry of a key left to another executor is undefined: its expiry is skipped too.
  const entries: (StateEntry | undefined)[] = [];
  table.begin();
  const n = readCount(input, "the number of state entries");
  // A dropped cell's codec is undefined: its content is skipped by its length.
  const written: (readonly [string, StateCellCodec | undefined])[] = [];
  for (let m = readCount(input, "the number of state names"); m > 0; m--) {
    const name = input.readUtf8(readCount(input, "a state name's length"));
    const codec = codecs.get(name);
    if (codec === undefined && ctx.drop?.has(name) !== true) throw corruptSnapshot(`state "${name}" is not declared by the DoFn`);
    if (codec === undefined && !prefixed) {
      throw corruptSnapshot(`state "${name}" is to be dropped, but this snapshot's layout does not record cell lengths to skip it; restore with a pipeline that still declares "${name}", take a new savepoint, then drop it`);
    }
    written.push([name, codec]);
  }
  for (let i = 0; i < n; i++) {
    const key = ctx.coders.key.decode(input, true);
    const window = ctx.coders.window.decode(input, true);
    if (ctx.keep !== undefined && !ctx.keep(key)) {
      skipCells(input, written, prefixed);
      entries.push(undefined);
      continue;
    }
    const e = table.entry(key, ctx.coders.keyId(key), window);
    if (e.cells.size > 0 || e.accessors !== undefined) throw corruptSnapshot("a key and window appear twice in the state");
    const cellsStart = input.position;
    const cells = readCount(input, "the number of an entry's state cells");
    for (let c = 0; c < cells; c++) {
      const at = input.readVarInt();
      const cell = written[at];
      if (cell === undefined) throw corruptSnapshot(`a state cell refers to name ${at} of ${written.length}`);
      const [name, codec] = cell;
      const length = prefixed ? readCount(input, `the length of state "${name}"`) : 0;
      if (codec === undefined) {
        input.readBytes(length);
        continue;
      }
      if (e.cells.has(name)) throw corruptSnapshot(`state "${name}" appears twice in one entry`);
      const start = input.position;
      e.cells.set(name, codec.read(input));
      if (prefixed && input.position - start !== length) throw corruptSnapshot(`state "${name}" read ${input.position - start} byte(s) of its ${length}`);
    }
    attach(e);
    entries.push(e);
    table.restored(e, input.position - cellsStart);
  }
  table.commit();
  const size = readCount(input, "the number of pending window expiries");
  for (let i = 0; i < size; i++) {
    const time = input.readDoubleBE();
    const ref = input.readVarInt();
    if (ref === 0) continue;
    if (ref > entries.length) throw corruptSnapshot(`window expiry ${i} refers to state entry ${ref - 1}, which does not exist`);
    const e = entries[ref - 1];
    if (e !== undefined) expiries.push(time, e);
  }
}

/**
 * Reads past an entry's cells without keeping them (its key belongs to another executor
 * now): by their lengths (layout 2), else by decoding them with their codecs (layout 1).
 */
function skipCells(input: ByteReader, written: readonly (readonly [string, StateCellCodec | undefined])[], prefixed: boolean): void {
  const cells = readCount(input, "the number of an entry's state cells");
  for (let c = 0; c < cells; c++) {
    const at = input.readVarInt();
    const cell = written[at];
    if (cell === undefined) throw corruptSnapshot(`a state cell refers to name ${at} of ${written.length}`);
    if (prefixed) input.readBytes(readCount(input, `the length of state "${cell[0]}"`));
    else if (cell[1] !== undefined) cell[1].read(input);
  }
}

/** The codec of each declared state, by name in sorted order (the snapshot's name table). */
function codecsOf(specs: StateSpecMap): Map<string, StateCellCodec> {
  return new Map(
    Object.keys(specs)
      .sort()
      .map((name) => [name, stateCellCodec(specs[name]!)]),
  );
}
