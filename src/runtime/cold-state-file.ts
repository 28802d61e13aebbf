import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Records are appended through a buffer of this size, so the disk sees large writes. */
const CHUNK = 1 << 20;

/**
 * The file behind a cold tier (cold-tier.ts): records appended at the end, read back by
 * offset with synchronous reads (a stateful DoFn reads its state synchronously; a read of a
 * record written recently comes from the page cache). A record is freed when its entry is
 * warmed again or dropped; `live` and `dead` count the bytes, and ColdTier rewrites the
 * file (compact) when most of it is dead. Nothing here survives the process: a checkpoint
 * holds the records' bytes themselves.
 */
export class ColdStateFile {
  private dir: string | undefined;
  private fd = -1;
  private path = "";
  private generation = 0;
  /** Bytes on disk (the buffer starts at this offset). */
  private flushed = 0;
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private buffered = 0;
  /** Bytes of records still in use, and of freed ones. */
  live = 0;
  dead = 0;
  /** Bytes ever written (metrics). */
  written = 0;

  constructor(private readonly parentDir: string) {}

  /** Appends a record; returns its offset. */
  append(record: Uint8Array): number {
    if (this.fd < 0) this.open();
    const offset = this.flushed + this.buffered;
    if (this.buffered + record.length > CHUNK) this.flush();
    if (record.length > CHUNK) {
      writeAll(this.fd, record, this.flushed);
      this.flushed += record.length;
    } else {
      this.buffer.set(record, this.buffered);
      this.buffered += record.length;
    }
    this.live += record.length;
    this.written += record.length;
    return offset;
  }

  /** The record at `offset` (a fresh copy: the caller may keep it). */
  read(offset: number, length: number): Uint8Array {
    const out = Buffer.allocUnsafe(length);
    if (offset >= this.flushed) {
      this.buffer.copy(out, 0, offset - this.flushed, offset - this.flushed + length);
      return out;
    }
    readFully(this.fd, this.path, out, offset);
    return out;
  }

  free(length: number): void {
    this.live -= length;
    this.dead += length;
  }

  /**
   * Starts a new file for a compaction: records read from the old one (by `read`, which
   * keeps working until `finishCompaction`) are appended to the new one.
   */
  beginCompaction(): { readonly read: (offset: number, length: number) => Uint8Array; readonly finish: () => void } {
    this.flush();
    const oldFd = this.fd;
    const oldPath = this.path;
    this.fd = -1;
    this.flushed = 0;
    this.live = 0;
    this.dead = 0;
    this.open();
    const read = (offset: number, length: number): Uint8Array => {
      const out = Buffer.allocUnsafe(length);
      readFully(oldFd, oldPath, out, offset);
      return out;
    };
    return {
      read,
      finish: () => {
        closeSync(oldFd);
        rmSync(oldPath, { force: true });
      },
    };
  }

  /** Removes the file (the stage is done, or the job stops). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.flushed = this.buffered = this.live = this.dead = 0;
  }

  private open(): void {
    this.dir ??= mkdtempSync(join(this.parentDir, "beam-ts-state-"));
    this.path = join(this.dir, `cold-${this.generation++}`);
    this.fd = openSync(this.path, "w+");
    this.flushed = 0;
    this.buffered = 0;
  }

  private flush(): void {
    if (this.buffered === 0) return;
    writeAll(this.fd, this.buffer.subarray(0, this.buffered), this.flushed);
    this.flushed += this.buffered;
    this.buffered = 0;
  }
}

/** Fills `out` from `fd` at `position`. */
function readFully(fd: number, path: string, out: Uint8Array, position: number): void {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, out.length - done, position + done);
    if (n === 0) throw new Error(`internal error: the cold state file ${path} ends at ${position + done}, inside a record of ${out.length} bytes`);
    done += n;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
