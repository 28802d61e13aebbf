import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError } from "../model/index.js";

const TWO_32 = 4294967296;
const encoder = new TextEncoder();

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
      while (n >= 0x80) {
        this.buf[this.pos++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
      this.buf[this.pos++] = n;
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
    // Short strings: reserve one length byte, encode in place, patch the length.
    if (lengthPrefixed && s.length * 3 < 0x80) {
      this.ensure(1 + s.length * 3);
      const start = this.pos;
      const { written } = encoder.encodeInto(s, this.buf.subarray(start + 1));
      this.buf[start] = written;
      this.pos = start + 1 + written;
      return;
    }
    const byteLength = Buffer.byteLength(s, "utf8");
    if (lengthPrefixed) this.writeVarInt(byteLength);
    this.ensure(byteLength);
    encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + byteLength));
    this.pos += byteLength;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Reads from a byte array; every read checks bounds and fails with a CoderError. */
export class BufferReader implements ByteReader {
  private pos = 0;
  // Made on first use: most values are decoded without fixed-width numbers or strings, and
  // a reader is created per decoded value.
  private dataView: DataView | undefined;
  private textView: Buffer | undefined;

  constructor(private readonly bytes: Uint8Array) {}

  private get view(): DataView {
    return (this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }

  private get text(): Buffer {
    return (this.textView ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
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
    this.need(8);
    const hi = this.view.getInt32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
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

  readInt32BE(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  readInt16BE(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  readUtf8(byteLength: number): string {
    this.need(byteLength);
    const s = this.text.toString("utf8", this.pos, this.pos + byteLength);
    this.pos += byteLength;
    return s;
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
    return sharedWriter.finish();
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
