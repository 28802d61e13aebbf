import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ArraySource, RunReader, RunWriter, type RecordSource, type SpillRecord } from "./run-files.js";

/** What a group costs in memory beyond its bytes (a map entry, its id string and value list). */
const RECORD_OVERHEAD = 160;
/** What a value costs beyond its bytes (a typed array and its list slot). */
const VALUE_OVERHEAD = 96;

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

/**
 * An external sort for grouping: records are kept in memory up to `limitBytes`, then
 * sorted by group bytes and written to a run file in `parentDir`. `groups()` merges the
 * runs and what is still in memory into groups, each group's values in the order they were
 * added (runs are merged oldest first, and the sort is stable).
 */
export class SortedSpill {
  private pending = new Map<string, Uint8Array[]>();
  private size = 0;
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

  /** Whether nothing was added (or everything was already handed out). */
  get isEmpty(): boolean {
    return this.size === 0 && this.runs.length === 0;
  }

  add(record: SpillRecord): void {
    // Grouped by hash while in memory: a run sorts its distinct groups, not every record.
    const id = Buffer.from(record.group.buffer, record.group.byteOffset, record.group.length).toString("latin1");
    const values = this.pending.get(id);
    if (values === undefined) {
      this.pending.set(id, [record.value]);
      this.bytes += 2 * record.group.length + RECORD_OVERHEAD;
    } else {
      values.push(record.value);
    }
    this.bytes += record.value.length + VALUE_OVERHEAD;
    this.size++;
    if (this.bytes > this.limitBytes) this.spill();
  }

  /** What is in memory as records sorted by group (latin1 strings sort in byte order). */
  private sortedPending(): SpillRecord[] {
    const out: SpillRecord[] = [];
    for (const id of [...this.pending.keys()].sort()) {
      const group = Buffer.from(id, "latin1");
      for (const value of this.pending.get(id)!) out.push({ group, value });
    }
    this.pending = new Map();
    this.bytes = 0;
    this.size = 0;
    return out;
  }

  /** The groups, in group-byte order. Files are removed once read (and by dispose). */
  *groups(): Generator<SpilledGroup> {
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
        // Sources in age order, so a group's values keep their arrival order.
        for (const s of sources) {
          while (s.head !== undefined && compareBytes(s.head.group, min) === 0) {
            values.push(s.head.value);
            s.advance();
          }
        }
        yield { group: min, values };
      }
    } finally {
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

  /** Merges runs (oldest first) into one run that takes the place of the first. */
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
