import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FrameSlabs } from "./frame-slabs.js";
import { RunReader, RunWriter, compareBytes, type RecordSource } from "./run-files.js";

/** What a group costs in memory beyond its bytes: a map entry, its id string, its objects. */
const GROUP_OVERHEAD = 200;
/** What a value costs in memory beyond its frame: its place in the group's list. */
const VALUE_OVERHEAD = 8;

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

/** A group in memory: its bytes and where its values' frames are, in arrival order. */
export class PendingGroup {
  readonly frames: number[] = [];
  framedBytes = 0;
  constructor(readonly group: Uint8Array) {}
}

/**
 * An external sort for grouping. Values are kept in memory per group (hashed by the group
 * bytes; the values' bytes packed into shared slabs) until the memory they take passes
 * `limitBytes`; then the groups are sorted by their bytes and written, one record per group
 * with all its values, to a run file in `parentDir`. `groups()` merges the runs and what is
 * still in memory into groups, each group's values in the order they were added (runs are
 * merged oldest first).
 *
 * Values are added to a group from `group()` with `append()` (which copies them, so a
 * writer's scratch view will do); `settle()` then writes a run if memory passed the limit,
 * after which groups from `group()` are stale.
 */
export class SortedSpill {
  private pending = new Map<string, PendingGroup>();
  private slabs: FrameSlabs;
  private reading = false;
  private bytes = 0;
  private runs: string[] = [];
  private dir: string | undefined;
  private runCount = 0;
  private readonly open: RecordSource[] = [];

  constructor(
    private readonly parentDir: string,
    private readonly limitBytes: number,
    private readonly listener: SpillListener,
  ) {
    this.slabs = new FrameSlabs(limitBytes);
  }

  /** Nothing added, or everything read: a groups() read under way is not empty. */
  get isEmpty(): boolean {
    return !this.reading && this.pending.size === 0 && this.runs.length === 0;
  }

  /** Adds one value to a group and settles. */
  add(group: Uint8Array, value: Uint8Array): void {
    this.append(this.group(group), value);
    this.settle();
  }

  /** The group with these bytes, to append to until the next `settle()`. */
  group(bytes: Uint8Array): PendingGroup {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
    let g = this.pending.get(id);
    if (g === undefined) {
      this.pending.set(id, (g = new PendingGroup(bytes)));
      this.bytes += 2 * bytes.length + GROUP_OVERHEAD;
    }
    return g;
  }

  /** Copies a value into a group, after the values it has. */
  append(g: PendingGroup, value: Uint8Array): void {
    g.frames.push(this.slabs.add(value));
    g.framedBytes += 4 + value.length;
    this.bytes += VALUE_OVERHEAD;
  }

  /** Writes a run if memory passed the limit (groups from `group()` are stale then). */
  settle(): void {
    if (this.bytes + this.slabs.bytes > this.limitBytes) this.spill();
  }

  /** Writes what is in memory to a run file now (a caller that keeps its own table does). */
  flush(): void {
    if (this.pending.size > 0) this.spill();
  }

  /** The groups, in group-byte order. Files are removed once read (and by dispose). */
  *groups(): Generator<SpilledGroup> {
    // What is in memory moves into this read at once: until the read ends, the spill is not empty.
    this.reading = true;
    const inMemory = new PendingSource(this.sortedPending(), this.slabs);
    this.slabs = new FrameSlabs(this.limitBytes);
    while (this.runs.length > MAX_FAN_IN) this.mergeRuns(this.runs.splice(0, MAX_FAN_IN));
    const sources: RecordSource[] = this.runs.map((path) => new RunReader(path));
    sources.push(inMemory);
    this.open.push(...sources);
    try {
      for (;;) {
        let min: Uint8Array | undefined;
        for (const s of sources) {
          const h = s.head;
          if (h !== undefined && (min === undefined || compareBytes(h, min) < 0)) min = h;
        }
        if (min === undefined) return;
        const values: Uint8Array[] = [];
        // Sources in age order (the runs, then memory), so values keep their arrival order.
        for (const s of sources) {
          while (s.head !== undefined && compareBytes(s.head, min) === 0) {
            s.readValues(values);
            s.advance();
          }
        }
        yield { group: min, values };
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

  /** What is in memory, sorted by group bytes; memory starts empty. */
  private sortedPending(): PendingGroup[] {
    // latin1 strings compare code unit by code unit: byte order.
    const ids = [...this.pending.keys()].sort();
    const out = ids.map((id) => this.pending.get(id)!);
    this.pending = new Map();
    this.bytes = 0;
    return out;
  }

  private spill(): void {
    const groups = this.sortedPending();
    const writer = new RunWriter(this.nextRunPath());
    try {
      for (const g of groups) {
        writer.begin(g.group, g.framedBytes);
        for (const ref of g.frames) writer.part(this.slabs.frame(ref));
      }
    } finally {
      writer.close();
      this.slabs.clear();
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
    try {
      for (;;) {
        let best: RunReader | undefined;
        for (const r of readers) if (r.head !== undefined && (best === undefined || compareBytes(r.head, best.head!) < 0)) best = r;
        if (best === undefined) break;
        best.copyRecordTo(writer);
        best.advance();
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

/** The groups still in memory, sorted, as a source; values are views of their slabs. */
class PendingSource implements RecordSource {
  private i = 0;
  constructor(
    private readonly groups: readonly PendingGroup[],
    private readonly slabs: FrameSlabs,
  ) {}
  get head(): Uint8Array | undefined {
    return this.groups[this.i]?.group;
  }
  readValues(into: Uint8Array[]): void {
    for (const ref of this.groups[this.i]!.frames) into.push(this.slabs.value(ref));
  }
  advance(): void {
    this.i++;
  }
  close(): void {}
}
