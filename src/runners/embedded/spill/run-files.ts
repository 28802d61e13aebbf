import { closeSync, openSync, readSync, writeSync } from "node:fs";

/**
 * A spilled record: the grouping key (the encoded key and window; equal bytes mean the
 * same group) and the encoded value.
 */
export interface SpillRecord {
  readonly group: Uint8Array;
  readonly value: Uint8Array;
}

/** Reads records in order; `head` is the next one (undefined once exhausted). */
export interface RecordSource {
  readonly head: SpillRecord | undefined;
  advance(): void;
  close(): void;
}

const CHUNK = 1 << 20;

/**
 * Writes a run file: records as [u32 group length][group][u32 value length][value],
 * buffered in 1 MiB chunks. The records must be written in sorted order by the caller.
 */
export class RunWriter {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  write(r: SpillRecord): void {
    const size = 8 + r.group.length + r.value.length;
    if (this.pos + size > this.buf.length) {
      this.flush();
      if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size);
    }
    const b = this.buf;
    b.writeUInt32BE(r.group.length, this.pos);
    b.set(r.group, this.pos + 4);
    this.pos += 4 + r.group.length;
    b.writeUInt32BE(r.value.length, this.pos);
    b.set(r.value, this.pos + 4);
    this.pos += 4 + r.value.length;
    this.bytes += size;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }
}

/** Reads a run file written by RunWriter, sequentially, one chunk at a time. */
export class RunReader implements RecordSource {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private end = 0;
  private eof = false;
  head: SpillRecord | undefined;

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
    // Copies: the chunk buffer is reused by the next read.
    const at = this.start + 4;
    const group = Uint8Array.prototype.slice.call(this.buf, at, at + groupLength);
    const value = Uint8Array.prototype.slice.call(this.buf, at + groupLength + 4, at + groupLength + 4 + valueLength);
    this.start += 8 + groupLength + valueLength;
    this.head = { group, value };
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
      if (this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (n > this.buf.length) {
        const bigger = Buffer.allocUnsafe(n);
        this.buf.copy(bigger, 0, 0, this.end);
        this.buf = bigger;
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

/** Records held in memory, already sorted. */
export class ArraySource implements RecordSource {
  private i = 0;
  constructor(private readonly records: readonly SpillRecord[]) {}
  get head(): SpillRecord | undefined {
    return this.records[this.i];
  }
  advance(): void {
    this.i++;
  }
  close(): void {}
}
