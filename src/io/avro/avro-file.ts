import { fileSystemFor, type ReadableFile } from "../filesystems/index.js";
import { decompressorOf, type BlockDecompress } from "./block-codecs.js";
import { FormatError, SYNC_SIZE, parseHeader, readLong, type ContainerHeader } from "./container-format.js";
import { BlockCodecError } from "./snappy-block.js";

/** One block of a file: where its sync marker and its data start, its records' bytes. */
export interface AvroBlock {
  /** Offset of the sync marker before the block: its position, claimed by the reader. */
  readonly syncAt: number;
  /** Offset of the block's record count (syncAt + 16). */
  readonly start: number;
  readonly count: number;
  /** The serialized records (decompressed). */
  readonly records: Buffer;
  /** Offset of the sync marker after the block: the next block's position. */
  readonly nextSyncAt: number;
}

/** A damaged block: what is wrong, where; `raw` its bytes as found (for dead letters). */
export class BadBlock extends Error {
  constructor(
    message: string,
    readonly syncAt: number,
    readonly offset: number,
    readonly raw: Uint8Array,
  ) {
    super(message);
  }
}

const SCAN_CHUNK = 64 * 1024;

/** An open Avro container file of any file system, read with positioned reads (no stream: byte ranges seek). */
export class AvroFile {
  /** The codec's decompressor, loaded by the first block read (reading only the header needs no codec package). */
  private decompress: BlockDecompress | undefined;

  private constructor(
    readonly path: string,
    private readonly handle: ReadableFile,
    readonly size: number,
    readonly header: ContainerHeader,
  ) {}

  /** Opens a file and parses its header (FormatError when it is not an Avro container file). */
  static async open(path: string): Promise<AvroFile> {
    const handle = await (await fileSystemFor(path)).open(path);
    try {
      const size = handle.metadata.sizeBytes;
      let want = 4096;
      for (;;) {
        const buf = await readAt(handle, 0, Math.min(want, size));
        try {
          return new AvroFile(path, handle, size, parseHeader(buf));
        } catch (err) {
          if (!(err instanceof FormatError && err.truncated && buf.length < size)) throw err;
          want *= 4;
        }
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** The offset of the first sync marker at or after `from` (the header's for `from` ≤ it), or -1. */
  async nextSyncAt(from: number): Promise<number> {
    const headerSync = this.header.end - SYNC_SIZE;
    if (from <= headerSync) return headerSync;
    for (let at = from; at < this.size; at += SCAN_CHUNK) {
      const buf = await readAt(this.handle, at, Math.min(SCAN_CHUNK + SYNC_SIZE - 1, this.size - at));
      const i = buf.indexOf(this.header.sync);
      if (i >= 0) return at + i;
      if (buf.length < SYNC_SIZE) break;
    }
    return -1;
  }

  /**
   * The block after the sync marker at `syncAt`, or undefined when that marker ends the
   * file. A BadBlock when it is damaged: truncated, a bad count or size, no sync marker
   * after it, data that does not decompress (or, for snappy, does not match its CRC32). An
   * AvroIOError when the codec's package is missing.
   */
  async blockAfter(syncAt: number): Promise<AvroBlock | undefined> {
    const start = syncAt + SYNC_SIZE;
    if (start >= this.size) return undefined;
    const decompress = (this.decompress ??= await decompressorOf(this.header.codec, this.path));
    const head = await readAt(this.handle, start, Math.min(20, this.size - start));
    let count: number;
    let size: number;
    let dataAt: number;
    try {
      const c = readLong(head, 0, start);
      const s = readLong(head, c.next, start);
      count = c.value;
      size = s.value;
      dataAt = start + s.next;
    } catch (err) {
      throw new BadBlock((err as Error).message, syncAt, (err as FormatError).offset, head);
    }
    if (count < 0 || size < 0) throw new BadBlock(`a negative record count ${count} or byte size ${size}`, syncAt, start, head);
    const end = dataAt + size;
    if (end + SYNC_SIZE > this.size) {
      const raw = await readAt(this.handle, start, this.size - start);
      throw new BadBlock(
        `the file is truncated: the block needs ${end + SYNC_SIZE - start} bytes but the file has ${this.size - start} left`,
        syncAt,
        start,
        raw,
      );
    }
    const bytes = await readAt(this.handle, dataAt, size + SYNC_SIZE);
    const raw = (): Uint8Array => Buffer.concat([head.subarray(0, dataAt - start), bytes]);
    if (!bytes.subarray(size).equals(this.header.sync)) {
      throw new BadBlock(`the block's sync marker (at byte ${end}) does not match the file's`, syncAt, end, raw());
    }
    let records: Buffer;
    try {
      records = decompress(bytes.subarray(0, size));
    } catch (err) {
      const at = err instanceof BlockCodecError ? dataAt + err.at : dataAt;
      throw new BadBlock(`the block does not decompress with codec "${this.header.codec}": ${(err as Error).message}`, syncAt, at, raw());
    }
    return { syncAt, start, count, records, nextSyncAt: end };
  }
}

async function readAt(handle: ReadableFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const bytesRead = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}
