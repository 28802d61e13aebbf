import { GroupTable } from "./group-table.js";

/** Bytes per slab at most, and the stride of a value's ref; a larger value gets a slab of its own. */
export const SLAB_BYTES = 1 << 20;
/** Bytes per slab at least. */
const MIN_SLAB_BYTES = 4096;
/** Memory per record beyond its value frame, ref and group id: its place in the order while sorted. */
const PER_RECORD = 4;

/**
 * The records of an external sort while they are in memory, as bytes: each record is its
 * group's id in a GroupTable (the group's bytes are stored once) and its value, framed
 * ([u32 length][bytes]) and packed into slabs of up to 1 MiB (a sixteenth of the memory
 * they may take, so that a small budget is not one slab). A value is named by one number,
 * its ref, `slab * SLAB_BYTES + offset`. Refs and ids are typed arrays in arrival order:
 * adding a record is a hash lookup and a copy, with no JS object per record, so the
 * garbage collector has nothing to trace, and `sorted()` orders the records by group
 * bytes with a sort of the distinct groups and one counting pass over the records.
 */
export class RecordBuffer {
  readonly groups = new GroupTable();
  /** Records added. */
  count = 0;
  private refs = new Float64Array(64);
  private ids = new Int32Array(64);
  private slabs: Uint8Array[] = [];
  private current: Uint8Array = new Uint8Array(0);
  private at = 0;
  private readonly slabBytes: number;
  private allocated = 0;

  /** Slabs for records that may take `limitBytes` of memory in all. */
  constructor(limitBytes: number) {
    this.slabBytes = Math.max(MIN_SLAB_BYTES, Math.min(SLAB_BYTES, Math.floor(limitBytes / 16)));
  }

  /** Memory the records take: slabs, refs and ids, what sorting them takes, and their groups. */
  get bytes(): number {
    return this.allocated + this.refs.byteLength + this.ids.byteLength + PER_RECORD * this.count + this.groups.memoryBytes;
  }

  /** Copies a record in, after the others; `group` is an id from `this.groups.idOf`. */
  add(group: number, value: Uint8Array): void {
    const size = 4 + value.length;
    if (this.at + size > this.current.length) this.nextSlab(size);
    if (this.count === this.refs.length) this.growRecords();
    const s = this.current;
    const at = this.at;
    this.refs[this.count] = (this.slabs.length - 1) * SLAB_BYTES + at;
    this.ids[this.count++] = group;
    const n = value.length;
    s[at] = n >>> 24;
    s[at + 1] = (n >>> 16) & 0xff;
    s[at + 2] = (n >>> 8) & 0xff;
    s[at + 3] = n & 0xff;
    s.set(value, at + 4);
    this.at = at + size;
    this.groups.framed[group] += size;
  }

  /** Where the records end now, for `rollback`. */
  mark(): RecordMark {
    return { count: this.count, slabs: this.slabs.length, at: this.at };
  }

  /**
   * Drops the records added since `mark` (a failed bundle's). Groups first seen since then
   * stay in the table with no records; sorted() leaves them out.
   */
  rollback(mark: RecordMark): void {
    for (let i = mark.count; i < this.count; i++) {
      const ref = this.refs[i]!;
      const slab = Math.floor(ref / SLAB_BYTES);
      this.groups.framed[this.ids[i]!]! -= 4 + frameLength(this.slabs[slab]!, ref - slab * SLAB_BYTES);
    }
    this.count = mark.count;
    for (const dropped of this.slabs.splice(mark.slabs)) this.allocated -= dropped.length;
    this.current = this.slabs[this.slabs.length - 1] ?? new Uint8Array(0);
    this.at = mark.at;
  }

  /** The records in group-byte order, equal groups in arrival order (groups without records left out). */
  sorted(): SortedRecords {
    const groups = this.groups.sorted();
    const g = groups.length;
    const rankOf = new Int32Array(this.groups.count);
    for (let r = 0; r < g; r++) rankOf[groups[r]!] = r;
    // A counting sort by rank: stable, so a group's records keep their arrival order.
    const firsts = new Int32Array(g + 1);
    const ids = this.ids;
    const n = this.count;
    for (let i = 0; i < n; i++) firsts[rankOf[ids[i]!]! + 1]!++;
    for (let r = 0; r < g; r++) firsts[r + 1]! += firsts[r]!;
    const order = new Int32Array(n);
    const next = rankOf; // reused: rank → where its next record goes
    for (let r = 0; r < g; r++) next[groups[r]!] = firsts[r]!;
    for (let i = 0; i < n; i++) order[next[ids[i]!]!++] = i;
    return withoutEmptyGroups({ groups, firsts, order });
  }

  /** Hands the value frame of record `i` to `sink` in place (no view is made). */
  writeValueFrame(i: number, sink: FrameSink): void {
    const ref = this.refs[i]!;
    const slab = Math.floor(ref / SLAB_BYTES);
    const s = this.slabs[slab]!;
    const at = ref - slab * SLAB_BYTES;
    sink.write(s, at, at + 4 + frameLength(s, at));
  }

  /** The value of record `i` as a view of its slab (slabs are never reused). */
  value(i: number): Uint8Array {
    const ref = this.refs[i]!;
    const slab = Math.floor(ref / SLAB_BYTES);
    const s = this.slabs[slab]!;
    const at = ref - slab * SLAB_BYTES;
    return s.subarray(at + 4, at + 4 + frameLength(s, at));
  }

  /** A value that does not fit starts a slab (of its own size if larger than a slab). */
  private nextSlab(size: number): void {
    this.current = new Uint8Array(Math.max(this.slabBytes, size));
    this.slabs.push(this.current);
    this.at = 0;
    this.allocated += this.current.length;
  }

  private growRecords(): void {
    const refs = new Float64Array(this.refs.length * 2);
    refs.set(this.refs);
    this.refs = refs;
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    this.ids = ids;
  }
}

/**
 * Records in group-byte order: `groups` holds the group ids in byte order, and the
 * records of the r-th are `order[firsts[r], firsts[r + 1])`, in arrival order.
 */
export interface SortedRecords {
  readonly groups: Float64Array;
  readonly firsts: Int32Array;
  readonly order: Int32Array;
}

/** Where a RecordBuffer's records ended at some point. */
export interface RecordMark {
  readonly count: number;
  readonly slabs: number;
  readonly at: number;
}

/** `sorted` without the groups that have no records (all rolled back); itself when there are none. */
function withoutEmptyGroups(sorted: SortedRecords): SortedRecords {
  const { groups, firsts, order } = sorted;
  let kept = 0;
  for (let r = 0; r < groups.length; r++) if (firsts[r + 1]! > firsts[r]!) kept++;
  if (kept === groups.length) return sorted;
  const keptGroups = new Float64Array(kept);
  const keptFirsts = new Int32Array(kept + 1);
  let k = 0;
  for (let r = 0; r < groups.length; r++) {
    if (firsts[r + 1]! === firsts[r]!) continue;
    keptGroups[k] = groups[r]!;
    keptFirsts[++k] = firsts[r + 1]!;
  }
  return { groups: keptGroups, firsts: keptFirsts, order };
}

/** Where RecordBuffer writes bytes it holds: `bytes[start, end)`, copied before the call returns. */
export interface FrameSink {
  write(bytes: Uint8Array, start: number, end: number): void;
}

/** The length stored at the start of the frame at `at`. */
export function frameLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
