import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RecordBuffer, type RecordMark, type SortedRecords } from "./record-buffer.js";
import { RunReader, RunWriter, compareBytes, type RecordSource } from "./run-files.js";
import { SourceHeap } from "./source-heap.js";

/** Runs merged at once; more are first merged into bigger runs (bounded open files). */
const MAX_FAN_IN = 64;

/** One group: its encoded key and window, and the encoded values in arrival order. */
export interface SpilledGroup {
  readonly group: Uint8Array;
  readonly values: Uint8Array[];
}

/** Where a SortedSpill reports what it wrote to disk. */
export interface SpillListener {
  spilled(bytes: number): void;
}

/**
 * An external sort for grouping. Records (a group's bytes, its encoded key and window,
 * and one value) are copied into a RecordBuffer in arrival order, each distinct group's
 * bytes once, until the memory they take passes `limitBytes`; then they are sorted by
 * group bytes (the distinct groups by a prefix sort, the records by a counting pass: no
 * object per record) and written to a run file in `parentDir`, one run record per group
 * with all its values. `groups()` merges the runs and what is still in
 * memory with a heap over their heads (source-heap.ts) into groups, each group's values in
 * the order they were added (runs are merged oldest first).
 *
 * A caller encoding a group and then its values uses `startGroup()` and `append()` (both
 * copy, so a writer's scratch view will do), then `settle()`, which writes a run if memory
 * passed the limit; `add()` does all three for one value.
 */
export class SortedSpill {
  private records: RecordBuffer;
  private current = new Uint8Array(64);
  private currentLength = 0;
  /** The id of `current` in `records`' groups; -1 until looked up (a new buffer has new ids). */
  private currentId = -1;
  private reading = false;
  private runs: string[] = [];
  private dir: string | undefined;
  private runCount = 0;
  private readonly open: RecordSource[] = [];
  private marked: { readonly records: RecordBuffer; readonly at: RecordMark } | undefined;

  constructor(
    private readonly parentDir: string,
    private readonly limitBytes: number,
    private readonly listener: SpillListener,
  ) {
    this.records = new RecordBuffer(limitBytes);
  }

  /** Nothing added, or everything read: a groups() read under way is not empty. */
  get isEmpty(): boolean {
    return !this.reading && this.records.count === 0 && this.runs.length === 0;
  }

  /** Adds one value to a group and settles. */
  add(group: Uint8Array, value: Uint8Array): void {
    this.records.add(this.records.groups.idOf(group), value);
    this.settle();
  }

  /** Copies the group that the next `append()`s add to. */
  startGroup(bytes: Uint8Array): void {
    if (bytes.length > this.current.length) this.current = new Uint8Array(Math.max(bytes.length, 2 * this.current.length));
    this.current.set(bytes);
    this.currentLength = bytes.length;
    this.currentId = -1;
  }

  /** Copies a value into the group last started, after the values it has. */
  append(value: Uint8Array): void {
    if (this.currentId < 0) this.currentId = this.records.groups.idOf(this.current.subarray(0, this.currentLength));
    this.records.add(this.currentId, value);
  }

  /**
   * Where the records in memory end now: `rollback()` drops what is added after it (a
   * failed bundle's values), so no run may be written until `commit()` (no `settle()`).
   */
  mark(): void {
    this.marked = { records: this.records, at: this.records.mark() };
  }

  /** The values added since `mark()` are kept; writes a run if memory passed the limit. */
  commit(): void {
    this.marked = undefined;
    this.settle();
  }

  /** Drops the values added since `mark()` (none without a mark, or after `commit()`). */
  rollback(): void {
    const marked = this.marked;
    if (marked === undefined) return;
    if (marked.records !== this.records) throw new Error("SortedSpill.rollback: a run was written since mark(); the values added since cannot be dropped.");
    marked.records.rollback(marked.at);
    this.currentId = -1;
  }

  /** Writes a run if memory passed the limit. */
  settle(): void {
    if (this.records.bytes > this.limitBytes) this.spill();
  }

  /** Writes what is in memory to a run file now (a caller that keeps its own table does). */
  flush(): void {
    if (this.records.count > 0) this.spill();
  }

  /** The groups, in group-byte order. Files are removed once read (and by dispose). */
  *groups(): Generator<SpilledGroup> {
    // What is in memory moves into this read at once: until the read ends, the spill is not empty.
    this.reading = true;
    const inMemory = new BufferSource(this.records);
    this.records = new RecordBuffer(this.limitBytes);
    while (this.runs.length > MAX_FAN_IN) this.mergeRuns(this.runs.splice(0, MAX_FAN_IN));
    const sources: RecordSource[] = this.runs.map((path) => new RunReader(path));
    sources.push(inMemory);
    this.open.push(...sources);
    // Sources in age order (the runs, then memory): equal groups come out oldest first.
    const heap = new SourceHeap(sources);
    try {
      for (let top = heap.top; top !== undefined; top = heap.top) {
        const group = top.head!;
        const values: Uint8Array[] = [];
        do {
          top.readValues(values);
          heap.advanceTop();
          top = heap.top;
        } while (top !== undefined && compareBytes(top.head!, group) === 0);
        yield { group, values };
      }
    } finally {
      this.reading = false;
      this.dispose();
    }
  }

  /** Closes and removes every spill file. */
  dispose(): void {
    for (const s of this.open.splice(0)) s.close();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.runs = [];
  }

  /** Sorts what is in memory into a run file, one record per group; memory starts empty. */
  private spill(): void {
    const records = this.records;
    this.records = new RecordBuffer(this.limitBytes);
    this.currentId = -1;
    const { groups, firsts, order } = records.sorted();
    const table = records.groups;
    const writer = new RunWriter(this.nextRunPath());
    try {
      for (let r = 0; r < groups.length; r++) {
        const id = groups[r]!;
        writer.begin(table.group(id), table.framed[id]!);
        for (let j = firsts[r]!; j < firsts[r + 1]!; j++) records.writeValueFrame(order[j]!, writer);
      }
    } finally {
      writer.close();
    }
    this.runs.push(writer.path);
    this.listener.spilled(writer.bytes);
  }

  /**
   * Merges runs (oldest first) into one run that takes the place of the first. A group in
   * several runs becomes several records, oldest first, which `groups()` reads in order.
   */
  private mergeRuns(paths: readonly string[]): void {
    const readers = paths.map((p) => new RunReader(p));
    const writer = new RunWriter(this.nextRunPath());
    const heap = new SourceHeap(readers);
    try {
      for (let top = heap.top; top !== undefined; top = heap.top) {
        top.copyRecordTo(writer);
        heap.advanceTop();
      }
    } finally {
      writer.close();
      for (const r of readers) r.close();
      for (const p of paths) rmSync(p, { force: true });
    }
    this.runs.unshift(writer.path);
  }

  private nextRunPath(): string {
    this.dir ??= mkdtempSync(join(this.parentDir, "beam-ts-spill-"));
    return join(this.dir, `run-${this.runCount++}`);
  }
}

/** The records still in memory, sorted, as a source: one record per group, values views of the buffer's slabs. */
class BufferSource implements RecordSource {
  private readonly sorted: SortedRecords;
  private rank = -1;
  head: Uint8Array | undefined;

  constructor(private readonly records: RecordBuffer) {
    this.sorted = records.sorted();
    this.advance();
  }

  readValues(into: Uint8Array[]): void {
    const { firsts, order } = this.sorted;
    for (let j = firsts[this.rank]!; j < firsts[this.rank + 1]!; j++) into.push(this.records.value(order[j]!));
  }

  advance(): void {
    const { groups } = this.sorted;
    this.rank++;
    this.head = this.rank < groups.length ? this.records.groups.group(groups[this.rank]!) : undefined;
  }

  close(): void {}
}
