import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError } from "../model/index.js";

const TWO_32 = 4294967296;
/** V8 allocates typed arrays up to this size on its heap, cheaply. */
const ON_HEAP_BYTES = 64;
/** The slab that finishPooled copies larger values into (Node's Buffer pool is 8 KiB). */
const POOL_SIZE = 8192;
let pool = new Uint8Array(POOL_SIZE);

/**
 * Decodes UTF-8 bytes of any Uint8Array without first making a Buffer view of it (one view
 * per decoded value costs as much as the decoding): Buffer's own `utf8Slice` accepts any
 * Uint8Array. Falls back to a view where a Node release lacks it.
 */
const nativeUtf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;
const utf8Slice: (bytes: Uint8Array, start: number, end: number) => string =
  nativeUtf8Slice !== undefined
    ? (bytes, start, end) => nativeUtf8Slice.call(bytes, start, end)
    : (bytes, start, end) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8", start, end);
let poolOffset = 0;
/**
 * Node's native UTF-8 writer (what `Buffer#write` calls after argument checks): one pass over
 * the string into any Uint8Array, lone surrogates as U+FFFD (as TextEncoder), returning the
 * bytes written. Falls back to TextEncoder.encodeInto where a Node release lacks it.
 */
const nativeUtf8Write = (Buffer.prototype as unknown as { utf8Write?: (this: Uint8Array, s: string, offset: number, length: number) => number }).utf8Write;
const encoder = new TextEncoder();
const utf8Write: (bytes: Uint8Array, s: string, offset: number, length: number) => number =
  nativeUtf8Write !== undefined
    ? (bytes, s, offset, length) => nativeUtf8Write.call(bytes, s, offset, length)
    : (bytes, s, offset, length) => encoder.encodeInto(s, bytes.subarray(offset, offset + length)).written;
/**
 * ASCII strings up to this many characters are encoded by a loop; longer ones by one native
 * call, which costs about as much as the loop over 16-32 characters (Node 20; measured).
 * Below 0x80, so that the loop's length prefix is one byte.
 */
const ASCII_LOOP_CHARS = 24;
/**
 * Strings up to this many bytes are decoded by a loop when they are ASCII: below it a native
 * call costs more; above it the loop's string concatenations (cons strings from 13
 * characters on) cost several times the native decode.
 */
const SHORT_STRING = 12;
/** Strings longer than this are measured before they are written, not given 3 bytes a character. */
const RESERVE_WORST_CASE_CHARS = 1 << 20;

/** The bytes of `n` as a varint (n a non-negative safe integer). */
function varIntSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/**
 * A growable byte buffer. One writer is reused across many values (call `reset`), so
 * encoding keys or shuffle data does not allocate a buffer per element.
 */
export class BufferWriter implements ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < needed) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  writeByte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  writeBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  writeVarInt(n: number | bigint): void {
    if (typeof n === "number" && n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n)) {
      this.ensure(10);
      this.pos = this.putVarInt(this.pos, n);
      return;
    }
    // Negative and large values are 64-bit two's complement, as Beam's VarLong: 10 bytes.
    let v = BigInt.asUintN(64, BigInt(n));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  /** Writes a non-negative safe integer as a varint at `at`, in room already ensured; returns the end. */
  private putVarInt(at: number, n: number): number {
    const buf = this.buf;
    // Below 2^32 in integer arithmetic (cheaper than the division below).
    if (n <= 0xffffffff) {
      while (n > 0x7f) {
        buf[at++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[at++] = n;
      return at;
    }
    while (n >= 0x80) {
      buf[at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[at++] = n;
    return at;
  }

  writeFixed64BE(n: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, n));
    this.pos += 8;
  }

  /** Writes a safe integer as 8 big-endian bytes of its 64-bit two's complement. */
  writeInt64BE(n: number): void {
    this.ensure(8);
    const hi = Math.floor(n / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, n - hi * TWO_32);
    this.pos += 8;
  }

  writeDoubleBE(n: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, n);
    this.pos += 8;
  }

  writeFloatBE(n: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, n);
    this.pos += 4;
  }

  writeInt32BE(n: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, n);
    this.pos += 4;
  }

  writeInt16BE(n: number): void {
    this.ensure(2);
    this.view.setInt16(this.pos, n);
    this.pos += 2;
  }

  writeUtf8(s: string, lengthPrefixed: boolean): void {
    const n = s.length;
    // Most strings in records are short and ASCII: copying their characters in a loop is
    // cheaper than a native call. Optimistically assume ASCII (byte length = string length)
    // and take the native path at the first other character.
    if (n <= ASCII_LOOP_CHARS) {
      this.ensure(1 + n);
      const buf = this.buf;
      let at = this.pos + (lengthPrefixed ? 1 : 0);
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at++] = c;
      }
      if (i === n) {
        if (lengthPrefixed) buf[this.pos] = n; // n < 0x80: a one-byte varint
        this.pos = at;
        return;
      }
    }
    this.writeUtf8Native(s, lengthPrefixed);
  }

  /** writeUtf8 by one native call; a method of its own so that writeUtf8 stays small enough to inline. */
  private writeUtf8Native(s: string, lengthPrefixed: boolean): void {
    const n = s.length;
    if (n > RESERVE_WORST_CASE_CHARS) {
      // A huge string: measure it rather than reserve 3 bytes a character.
      const byteLength = Buffer.byteLength(s, "utf8");
      if (lengthPrefixed) this.writeVarInt(byteLength);
      this.ensure(byteLength);
      this.pos += utf8Write(this.buf, s, this.pos, byteLength);
      return;
    }
    // One pass: write the bytes after room for the prefix of an ASCII string (a UTF-16 unit
    // is at most 3 bytes), then write the prefix in front of them, moving them on in the rare
    // case that the byte length needs a longer varint than the character count.
    const max = 3 * n;
    const guess = lengthPrefixed ? varIntSize(n) : 0;
    this.ensure(varIntSize(max) + max);
    const start = this.pos;
    const written = utf8Write(this.buf, s, start + guess, max);
    if (!lengthPrefixed) {
      this.pos = start + written;
      return;
    }
    const prefix = varIntSize(written);
    if (prefix !== guess) this.buf.copyWithin(start + prefix, start + guess, start + guess + written);
    this.pos = this.putVarInt(start, written) + written;
  }

  /** A copy of the bytes written so far, in an ArrayBuffer of its own (safe to transfer). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /**
   * The bytes written so far as a view of the writer's own buffer, for a caller that copies
   * them at once: the next write or `reset()` overwrites them.
   */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * A copy of the bytes written so far that may share its ArrayBuffer with other small
   * copies, as Node's `Buffer.allocUnsafe` does: V8 keeps arrays of up to 64 bytes on its heap,
   * but a larger one gets an ArrayBuffer of its own, which costs 0.5-2 µs (allocation and the
   * GC's external-memory accounting) against 0.1 µs for a view of a shared slab. Do not
   * transfer the result's `buffer`; a copy that must outlive many others should be `slice()`d.
   */
  finishPooled(): Uint8Array {
    const n = this.pos;
    if (n <= ON_HEAP_BYTES || n > POOL_SIZE / 2) return this.buf.slice(0, n);
    if (poolOffset + n > POOL_SIZE) {
      pool = new Uint8Array(POOL_SIZE);
      poolOffset = 0;
    }
    const start = poolOffset;
    pool.set(this.buf.subarray(0, n), start);
    // Keep views 8-byte aligned, as Node's pool does.
    poolOffset = (start + n + 7) & ~7;
    return pool.subarray(start, start + n);
  }
}

/** Reads from a byte array; every read checks bounds and fails with a CoderError. */
export class BufferReader implements ByteReader {
  private pos = 0;
  // Made on first use (floats and 64-bit fixed-width values only): a reader is created per
  // decoded value.
  private dataView: DataView | undefined;

  constructor(private readonly bytes: Uint8Array) {}

  private get view(): DataView {
    return (this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }

  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      throw new CoderError(
        `Unexpected end of input: needed ${n} more byte(s) at offset ${this.pos} of ${this.bytes.length}. ` +
          `The bytes were not written by this coder, or were truncated.`,
      );
    }
  }

  readByte(): number {
    this.need(1);
    return this.bytes[this.pos++] as number;
  }

  readBytes(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  readVarInt(): number {
    let result = 0;
    let factor = 1;
    const start = this.pos;
    for (let i = 0; i < 8; i++) {
      const b = this.readByte();
      result += (b & 0x7f) * factor;
      if (b < 0x80) return result;
      factor *= 0x80;
    }
    // More than 56 bits: decode exactly, then insist the value fits a JS number.
    this.pos = start;
    const big = this.readVarBigInt();
    const n = Number(big);
    if (!Number.isSafeInteger(n)) {
      throw new CoderError(
        `The varint ${big} is outside JavaScript's safe integer range. Decode it with bigVarIntCoder (values as bigint).`,
      );
    }
    return n;
  }

  readVarBigInt(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.readByte();
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new CoderError(`A varint longer than 10 bytes at offset ${this.pos}: the input is not a Beam varint.`);
  }

  readFixed64BE(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads 8 big-endian bytes as a signed 64-bit integer; exact for safe integers. */
  readInt64BE(): number {
    const hi = this.readInt32BE();
    const lo = this.readInt32BE() >>> 0;
    return hi * TWO_32 + lo;
  }

  readDoubleBE(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  readFloatBE(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }

  // Integers are assembled from the bytes: a DataView per decoded value costs more than the read.
  readInt32BE(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) | 0;
  }

  readInt16BE(): number {
    this.need(2);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }

  readUtf8(byteLength: number): string {
    this.need(byteLength);
    const start = this.pos;
    const end = start + byteLength;
    this.pos = end;
    // Very short ASCII strings (single-character ones come from V8's cache) are built in a
    // loop: cheaper than a native call.
    if (byteLength <= SHORT_STRING) {
      const b = this.bytes;
      let s = "";
      for (let i = start; i < end; i++) {
        const c = b[i]!;
        if (c >= 0x80) return utf8Slice(b, start, end);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Slice(this.bytes, start, end);
  }

  readRest(): Uint8Array {
    return this.readBytes(this.remaining);
  }
}

const sharedWriter = new BufferWriter(4096);
let sharedWriterBusy = false;

/** Encodes one value to a fresh byte array. */
export function encodeToBytes<T>(coder: Coder<T>, value: T, nested = false): Uint8Array {
  // Coders may call encodeToBytes recursively (e.g. to sort map entries), so the shared
  // writer is used only by the outermost call.
  if (sharedWriterBusy) {
    const w = new BufferWriter();
    coder.encode(value, w, nested);
    return w.finish();
  }
  sharedWriterBusy = true;
  try {
    sharedWriter.reset();
    coder.encode(value, sharedWriter, nested);
    return sharedWriter.finishPooled();
  } finally {
    sharedWriterBusy = false;
  }
}

/** Decodes one value, failing if bytes are left over. */
export function decodeFromBytes<T>(coder: Coder<T>, bytes: Uint8Array, nested = false): T {
  const reader = new BufferReader(bytes);
  const value = coder.decode(reader, nested);
  if (reader.remaining !== 0) {
    throw new CoderError(
      `${coder.toString()} decoded a value but ${reader.remaining} byte(s) were left over: the bytes were written by a different coder.`,
    );
  }
  return value;
}
