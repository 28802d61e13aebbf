/** 2^53: the integers a double holds exactly. */
const EXACT = 2 ** 53;

/**
 * Byte strings held in one array, string `i` being `bytes[starts[i], starts[i] + lengths[i])`.
 */
export interface ByteStrings {
  readonly bytes: Uint8Array;
  readonly starts: Float64Array;
  readonly lengths: Int32Array;
  readonly count: number;
}

/**
 * The indices of `strings` in byte order (a shorter string before the longer it starts
 * with; equal strings in index order), as exact integers in a Float64Array.
 *
 * A prefix sort, so that the comparing is done by the engine's numeric sort of a
 * Float64Array rather than by a JS comparator called ~n log n times: each string gets one
 * number, a few of its bytes (from some depth on) as digits in base 257 (0 for "the
 * string has ended") times 2^k, plus its index (k bits, the tie-break), and the numbers
 * are sorted natively. Strings whose digits tie are sorted again on their next bytes,
 * range by range; the bytes a range's strings share are skipped first, and a range of
 * equal strings is done.
 */
export function sortByteStrings(strings: ByteStrings): Float64Array {
  const n = strings.count;
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  let digits = 1;
  while (257 ** (digits + 1) * scale <= EXACT) digits++;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = i;
  const sorter = new PrefixSorter(strings, keys, scale, digits);
  // Ranges still to sort, as [start, end, depth] triples.
  const todo: number[] = [0, n, 0];
  while (todo.length > 0) {
    const depth = todo.pop()!;
    const end = todo.pop()!;
    const start = todo.pop()!;
    sorter.sortRange(start, end, depth, todo);
  }
  for (let j = 0; j < n; j++) keys[j] = sorter.index(j);
  return keys;
}

/** Sorts ranges of `keys` (each `prefix * scale + index`) on `digits` bytes at a time. */
class PrefixSorter {
  private readonly bytes: Uint8Array;
  private readonly starts: Float64Array;
  private readonly lengths: Int32Array;

  constructor(
    strings: ByteStrings,
    private readonly keys: Float64Array,
    private readonly scale: number,
    private readonly digits: number,
  ) {
    this.bytes = strings.bytes;
    this.starts = strings.starts;
    this.lengths = strings.lengths;
  }

  /** The string index in keys[j] (`x % scale` would be a floating-point remainder, a call). */
  index(j: number): number {
    const k = this.keys[j]!;
    return k - Math.floor(k / this.scale) * this.scale;
  }

  /** Sorts keys[start, end), whose strings agree before `depth`; pushes the ranges still tied. */
  sortRange(start: number, end: number, depth: number, todo: number[]): void {
    if (end - start < 2) return;
    const { keys, scale, digits } = this;
    const shared = this.sharedBytes(start, end, depth);
    if (shared < 0) return;
    const at = depth + shared;
    for (let j = start; j < end; j++) {
      const i = this.index(j);
      keys[j] = this.prefix(i, at) * scale + i;
    }
    keys.subarray(start, end).sort();
    let runStart = start;
    let runPrefix = Math.floor(keys[start]! / scale);
    for (let j = start + 1; j <= end; j++) {
      const p = j < end ? Math.floor(keys[j]! / scale) : -1;
      if (p === runPrefix) continue;
      // A prefix whose last digit is 0 reached the end of its strings: they are equal.
      if (j - runStart > 1 && runPrefix - Math.floor(runPrefix / 257) * 257 !== 0) todo.push(runStart, j, at + digits);
      runStart = j;
      runPrefix = p;
    }
  }

  /** How many bytes from `depth` every string of the range shares with its first; -1 when all are equal. */
  private sharedBytes(start: number, end: number, depth: number): number {
    const { bytes, starts, lengths } = this;
    const first = this.index(start);
    const fa = starts[first]! + depth;
    const length = lengths[first]!;
    let shared = length - depth;
    let allEqual = true;
    for (let j = start + 1; j < end && (shared > 0 || allEqual); j++) {
      const i = this.index(j);
      const len = lengths[i]!;
      if (len !== length) allEqual = false;
      const a = starts[i]! + depth;
      const n = Math.min(shared, len - depth);
      let k = 0;
      while (k < n && bytes[a + k] === bytes[fa + k]) k++;
      if (k < shared) {
        shared = k;
        allEqual = false;
      }
    }
    return allEqual ? -1 : shared;
  }

  /** `digits` bytes of string i from `at`, in base 257 (0: past its end). */
  private prefix(i: number, at: number): number {
    const { bytes } = this;
    const start = this.starts[i]!;
    const end = start + this.lengths[i]!;
    let p = 0;
    for (let d = 0, b = start + at; d < this.digits; d++, b++) p = p * 257 + (b < end ? bytes[b]! + 1 : 0);
    return p;
  }
}
