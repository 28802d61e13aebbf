import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ArraySource, RunReader, RunWriter, type RecordSource, type SpillRecord } from "./run-files.js";

/** What a group costs in memory beyond its bytes: a map entry, its id string, its buffer object. */
const GROUP_OVERHEAD = 200;

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
 * Byte order of two groups. Groups are short (an encoded key and window), so a JS loop
 * beats Buffer.compare's call into C++.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const byGroup = (a: SpillRecord, b: SpillRecord) => compareBytes(a.group, b.group);

/** A group's values in memory: frames of [u32 length][bytes], in one growable array. */
class FramedValues {
  bytes = new Uint8Array(64);
  length = 0;

  /** Appends a value; returns how much the buffer grew. */
  append(value: Uint8Array): number {
    const needed = this.length + 4 + value.length;
    let grown = 0;
    if (needed > this.bytes.length) {
      const next = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, this.length));
      grown = next.length - this.bytes.length;
      this.bytes = next;
    }
    const at = this.length;
    this.bytes[at] = value.length >>> 24;
    this.bytes[at + 1] = (value.length >>> 16) & 0xff;
    this.bytes[at + 2] = (value.length >>> 8) & 0xff;
    this.bytes[at + 3] = value.length & 0xff;
    this.bytes.set(value, at + 4);
    this.length = needed;
    return grown;
  }
}

/** The values in a run of frames (views, not copies). */
function unframe(frames: Uint8Array, into: Uint8Array[]): void {
  for (let at = 0; at < frames.length; ) {
    const n = ((frames[at]! << 24) | (frames[at + 1]! << 16) | (frames[at + 2]! << 8) | frames[at + 3]!) >>> 0;
    into.push(frames.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
}

/**
 * An external sort for grouping. Values are kept in memory per group (hashed by the group
 * bytes, each group's values framed in one byte array) until the memory they take passes
 * `limitBytes`; then the groups are sorted by their bytes and written, one record per group
 * with all its values, to a run file in `parentDir`. `groups()` merges the runs and what is
 * still in memory into groups, each group's values in the order they were added (runs are
 * merged oldest first).
 */
export class SortedSpill {
  private pending = new Map<string, FramedValues>();
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
  ) {}

  /** Nothing added, or everything read: a groups() read under way is not empty. */
  get isEmpty(): boolean {
    return !this.reading && this.pending.size === 0 && this.runs.length === 0;
  }

  add(record: SpillRecord): void {
    this.addAll(record.group, [record.value]);
  }

  /** Adds values of one group, in order. */
  addAll(group: Uint8Array, added: readonly Uint8Array[]): void {
    const id = Buffer.from(group.buffer, group.byteOffset, group.length).toString("latin1");
    let values = this.pending.get(id);
    if (values === undefined) {
      this.pending.set(id, (values = new FramedValues()));
      this.bytes += 2 * group.length + values.bytes.length + GROUP_OVERHEAD;
    }
    for (const value of added) this.bytes += values.append(value);
    if (this.bytes > this.limitBytes) this.spill();
  }

  /** What is in memory, one record per group (its values framed), sorted by group bytes. */
  private sortedPending(): SpillRecord[] {
    const out: SpillRecord[] = [];
    // latin1 strings compare code unit by code unit: byte order.
    for (const id of [...this.pending.keys()].sort()) {
      const values = this.pending.get(id)!;
      out.push({ group: Buffer.from(id, "latin1"), value: values.bytes.subarray(0, values.length) });
    }
    this.pending = new Map();
    this.bytes = 0;
    return out;
  }

  /** Writes what is in memory to a run file now (a caller that keeps its own table does). */
  flush(): void {
    if (this.pending.size > 0) this.spill();
  }

  /** The groups, in group-byte order. Files are removed once read (and by dispose). */
  *groups(): Generator<SpilledGroup> {
    // What is in memory moves into this read at once: until the read ends, the spill is not empty.
    this.reading = true;
    const inMemory = this.sortedPending();
    while (this.runs.length > MAX_FAN_IN) this.mergeRuns(this.runs.splice(0, MAX_FAN_IN));
    const sources: RecordSource[] = this.runs.map((path) => new RunReader(path));
    sources.push(new ArraySource(inMemory));
    this.open.push(...sources);
    try {
      for (;;) {
        let min: Uint8Array | undefined;
        for (const s of sources) {
          const h = s.head;
          if (h !== undefined && (min === undefined || compareBytes(h.group, min) < 0)) min = h.group;
        }
        if (min === undefined) return;
        const values: Uint8Array[] = [];
        // Sources in age order (the runs, then memory), so values keep their arrival order.
        for (const s of sources) {
          while (s.head !== undefined && compareBytes(s.head.group, min) === 0) {
            unframe(s.head.value, values);
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

  private spill(): void {
    const records = this.sortedPending();
    const writer = new RunWriter(this.nextRunPath());
    try {
      for (const r of records) writer.write(r);
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
    try {
      for (;;) {
        let best: RunReader | undefined;
        for (const r of readers) if (r.head !== undefined && (best === undefined || byGroup(r.head, best.head!) < 0)) best = r;
        if (best === undefined) break;
        writer.write(best.head!);
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
