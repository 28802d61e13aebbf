import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { frameLength, type FrameSink } from "./record-buffer.js";

/**
 * Reads the records of a sorted run in order: `head` is the next record's group (its
 * encoded key and window; equal bytes mean the same group), undefined once exhausted.
 */
export interface RecordSource {
  readonly head: Uint8Array | undefined;
  /** Adds the head record's values to `into`, in order (views: valid after advancing). */
  readValues(into: Uint8Array[]): void;
  advance(): void;
  close(): void;
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

const CHUNK = 1 << 20;

/**
 * Writes a run file: records as [u32 group length][group][u32 value length][value], where
 * a value is the group's values as frames ([u32 length][bytes] each), buffered in 1 MiB
 * chunks. The records must be written in sorted order by the caller: `begin` a record
 * with its value's length, then write the value in `part`s.
 */
export class RunWriter implements FrameSink {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  begin(group: Uint8Array, valueLength: number): void {
    this.reserve(8 + group.length);
    const b = this.buf;
    b.writeUInt32BE(group.length, this.pos);
    b.set(group, this.pos + 4);
    this.pos += 4 + group.length;
    b.writeUInt32BE(valueLength, this.pos);
    this.pos += 4;
    this.bytes += 8 + group.length + valueLength;
  }

  part(bytes: Uint8Array): void {
    this.write(bytes, 0, bytes.length);
  }

  /** Writes `bytes[start, end)` as part of the record begun (no view of them is made). */
  write(bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    const b = this.buf;
    const pos = this.pos;
    // Short parts are copied in a loop: set() would first need a view of them.
    if (n <= 64) for (let k = 0; k < n; k++) b[pos + k] = bytes[start + k]!;
    else b.set(bytes.subarray(start, end), pos);
    this.pos = pos + n;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  private flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }
}

/**
 * Reads a run file written by RunWriter, sequentially, a chunk at a time. Records are
 * views of the chunk they were read into; a chunk is never overwritten (a record that
 * does not fit moves to a new chunk), so views stay valid while anything holds them.
 */
export class RunReader implements RecordSource {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(0);
  private start = 0;
  private end = 0;
  private eof = false;
  head: Uint8Array | undefined;
  private value = new Uint8Array(0);

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
    this.advance();
  }

  advance(): void {
    if (!this.ensure(4)) return this.finish();
    const groupLength = this.buf.readUInt32BE(this.start);
    if (!this.ensure(8 + groupLength)) return this.corrupt();
    const valueLength = this.buf.readUInt32BE(this.start + 4 + groupLength);
    if (!this.ensure(8 + groupLength + valueLength)) return this.corrupt();
    const at = this.start + 4;
    this.head = this.buf.subarray(at, at + groupLength);
    this.value = this.buf.subarray(at + groupLength + 4, at + groupLength + 4 + valueLength);
    this.start += 8 + groupLength + valueLength;
  }

  readValues(into: Uint8Array[]): void {
    const frames = this.value;
    for (let at = 0; at < frames.length; ) {
      const n = frameLength(frames, at);
      into.push(frames.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
  }

  /** Writes the head record to `writer` as it is (merging runs). */
  copyRecordTo(writer: RunWriter): void {
    writer.begin(this.head!, this.value.length);
    writer.part(this.value);
  }

  close(): void {
    if (!this.eof) {
      this.eof = true;
      closeSync(this.fd);
    }
  }

  /** Makes `n` bytes available from `start`; false at end of file. */
  private ensure(n: number): boolean {
    while (this.end - this.start < n) {
      if (this.eof) return false;
      if (this.start + n > this.buf.length) {
        // A new chunk (views of the old one may still be held), with the partial record.
        const next = Buffer.allocUnsafe(Math.max(CHUNK, n));
        this.buf.copy(next, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
        this.buf = next;
      }
      const read = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (read === 0) this.close();
      this.end += read;
    }
    return true;
  }

  private finish(): void {
    if (this.end > this.start) this.corrupt();
    this.head = undefined;
    this.close();
  }

  private corrupt(): never {
    this.close();
    throw new Error(`Spill file ${this.path} ends in the middle of a record (truncated or overwritten while the job ran).`);
  }
}
