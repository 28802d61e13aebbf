/** Bytes per slab at most; a larger value gets a slab of its own. */
const SLAB_BYTES = 1 << 20;
/** Bytes per slab at least. */
const MIN_SLAB_BYTES = 4096;

/**
 * Encoded values in memory as frames ([u32 length][bytes]) packed into slabs of up to 1 MiB
 * (a sixteenth of the memory they may take, so that a small budget is not one slab), where
 * a frame is named by two numbers: its slab and its offset. Values of every group share
 * the slabs, so adding one costs a copy, with no allocation per value or per group (a
 * growable array per group cost an ArrayBuffer, zero-filled and tracked by the GC, at
 * every doubling: most of a Nexmark Q4's spilling time).
 */
export class FrameSlabs {
  private slabs: Uint8Array[] = [];
  private current = new Uint8Array(0);
  private index = -1;
  private at = 0;
  /** Bytes of the slabs allocated. */
  bytes = 0;
  private readonly slabBytes: number;

  /** Slabs for frames that may take `limitBytes` of memory in all. */
  constructor(limitBytes: number) {
    this.slabBytes = Math.max(MIN_SLAB_BYTES, Math.min(SLAB_BYTES, Math.floor(limitBytes / 16)));
  }

  /**
   * Copies `value` in as a frame; returns where it starts as `slab * SLAB_BYTES + offset`
   * (an exact integer: fewer than 2^33 slabs).
   */
  add(value: Uint8Array): number {
    const size = 4 + value.length;
    if (this.at + size > this.current.length) this.nextSlab(size);
    const s = this.current;
    const at = this.at;
    const n = value.length;
    s[at] = n >>> 24;
    s[at + 1] = (n >>> 16) & 0xff;
    s[at + 2] = (n >>> 8) & 0xff;
    s[at + 3] = n & 0xff;
    s.set(value, at + 4);
    this.at = at + size;
    return this.index * SLAB_BYTES + at;
  }

  /** The frame at `ref` (length and bytes) as a view. */
  frame(ref: number): Uint8Array {
    const slab = this.slabs[Math.floor(ref / SLAB_BYTES)]!;
    const at = ref % SLAB_BYTES;
    return slab.subarray(at, at + 4 + frameLength(slab, at));
  }

  /** The value of the frame at `ref` as a view. */
  value(ref: number): Uint8Array {
    return this.frame(ref).subarray(4);
  }

  /** Forgets every frame (views handed out stay valid: the slabs are not reused). */
  clear(): void {
    this.slabs = [];
    this.current = new Uint8Array(0);
    this.index = -1;
    this.at = 0;
    this.bytes = 0;
  }

  /** A value larger than a slab gets a slab of its size, which it fills: the next value starts another. */
  private nextSlab(size: number): void {
    this.current = new Uint8Array(Math.max(this.slabBytes, size));
    this.index = this.slabs.push(this.current) - 1;
    this.at = 0;
    this.bytes += this.current.length;
  }
}

/** The length stored at the start of the frame at `at`. */
export function frameLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
