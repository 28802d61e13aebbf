import { sortByteStrings, type ByteStrings } from "./prefix-sort.js";

/** Memory per group id beyond its bytes and hash slots: its start, length, hash (to rehash) and framed size. */
const PER_ID = 8 + 4 + 4 + 8;
/** Memory per group while a run is sorted: its sort key, rank and count (sorted-records.ts). */
const PER_GROUP_SORTING = 8 + 4 + 4;

/**
 * The distinct groups (encoded key and window) of an external sort's records in memory,
 * each stored once in one byte array and named by a small integer id, found by an
 * open-addressing hash table of those ids and their hashes (FNV-1a over the bytes, linear
 * probing). A record
 * then costs its group's id, whatever the group's length, and no JS object or string is
 * made per record or per group (a Map keyed by a latin1 string of the bytes cost a string
 * and a lookup through V8's hashing per value: most of a spilling GroupByKey's time).
 */
export class GroupTable implements ByteStrings {
  // Small to start with (they double as needed): a small budget's first run is not all overhead.
  bytes = new Uint8Array(256);
  starts = new Float64Array(16);
  lengths = new Int32Array(16);
  /** Bytes of the values framed for each group, as a run file stores them. */
  framed = new Float64Array(16);
  count = 0;
  private hashes = new Int32Array(16);
  private slots = new Int32Array(64);
  private used = 0;

  /** Memory the table takes. */
  get memoryBytes(): number {
    return this.bytes.byteLength + this.slots.byteLength + this.starts.length * PER_ID + this.count * PER_GROUP_SORTING;
  }

  /** The id of the group with these bytes, added if new. */
  idOf(group: Uint8Array): number {
    const n = group.length;
    let h = 0x811c9dc5 ^ n;
    for (let k = 0; k < n; k++) h = Math.imul(h ^ group[k]!, 0x01000193);
    // A slot is [hash, id + 1] side by side: a probe reads one cache line, not two arrays.
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const slot = slots[2 * s + 1]!;
      if (slot === 0) return this.insert(group, h, s);
      if (slots[2 * s] === h && this.equals(slot - 1, group)) return slot - 1;
    }
  }

  /** The bytes of group `id`, as a view (valid after more groups are added). */
  group(id: number): Uint8Array {
    const start = this.starts[id]!;
    return this.bytes.subarray(start, start + this.lengths[id]!);
  }

  /** The ids in byte order of their groups. */
  sorted(): Float64Array {
    return sortByteStrings(this);
  }

  private equals(id: number, group: Uint8Array): boolean {
    const n = group.length;
    if (this.lengths[id] !== n) return false;
    const b = this.bytes;
    const start = this.starts[id]!;
    for (let k = 0; k < n; k++) if (b[start + k] !== group[k]) return false;
    return true;
  }

  private insert(group: Uint8Array, hash: number, slot: number): number {
    const id = this.count++;
    if (id === this.starts.length) this.growGroups();
    const start = this.used;
    if (start + group.length > this.bytes.length) this.growBytes(start + group.length);
    this.bytes.set(group, start);
    this.used += group.length;
    this.starts[id] = start;
    this.lengths[id] = group.length;
    this.hashes[id] = hash;
    this.framed[id] = 0;
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = id + 1;
    // At most half full: probes stay short.
    if (4 * this.count > this.slots.length) this.rehash();
    return id;
  }

  private growGroups(): void {
    const n = this.starts.length * 2;
    this.starts = grown(this.starts, new Float64Array(n));
    this.lengths = grown(this.lengths, new Int32Array(n));
    this.framed = grown(this.framed, new Float64Array(n));
    this.hashes = grown(this.hashes, new Int32Array(n));
  }

  private growBytes(needed: number): void {
    // Views of the old array handed out by group() keep it alive and stay correct.
    this.bytes = grown(this.bytes, new Uint8Array(Math.max(needed, 2 * this.bytes.length)));
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let id = 0; id < this.count; id++) {
      const h = this.hashes[id]!;
      let s = h & mask;
      while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
      slots[2 * s] = h;
      slots[2 * s + 1] = id + 1;
    }
    this.slots = slots;
  }
}

/** `to` with `from` copied to its start. */
function grown<T extends { set(from: ArrayLike<number>): void }>(from: ArrayLike<number>, to: T): T {
  to.set(from);
  return to;
}
