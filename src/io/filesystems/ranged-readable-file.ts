import type { FileMetadata, ReadableFile } from "./file-system.js";

/**
 * Random-access reading of an object through ranged GETs. Readers read in small pieces
 * (64 KiB for text, a page for Parquet); an object store charges a round trip per request,
 * so each miss fetches a whole window ahead (8 MiB by default) and the following reads are
 * served from it. A read larger than the window is fetched exactly.
 */

/** Fetches bytes `[start, end)` of the object (end ≤ its size). */
export type RangeFetcher = (start: number, end: number) => Promise<Uint8Array>;

/** Read-ahead settings of a ranged file. */
export interface RangedReadOptions {
  /** Bytes fetched per request when a read misses the window. Default 8 MiB. */
  readonly windowBytes?: number;
}

/** The default read-ahead window: 8 MiB, as Beam Java's GCS read channel buffers. */
export const DEFAULT_READ_WINDOW_BYTES = 8 * 1024 * 1024;

/** A ReadableFile that also counts its requests (tests and benchmarks read it). */
export interface RangedReadableFile extends ReadableFile {
  /** Ranged GETs issued so far. */
  readonly requests: number;
}

/**
 * A ReadableFile over an object of known size, reading through `fetch` with read-ahead.
 *
 * @example
 * const file = rangedReadableFile(meta, (start, end) => getRange(bucket, key, start, end));
 * const n = await file.read(buf, 0, 65536, 0);
 */
export function rangedReadableFile(metadata: FileMetadata, fetch: RangeFetcher, options: RangedReadOptions = {}): RangedReadableFile {
  const windowBytes = Math.max(1, options.windowBytes ?? DEFAULT_READ_WINDOW_BYTES);
  const size = metadata.sizeBytes;
  let windowStart = 0;
  let window: Uint8Array = new Uint8Array(0);
  // One fetch at a time: concurrent reads of the same region wait for it instead of repeating it.
  let pending: Promise<void> = Promise.resolve();
  let requests = 0;
  let closed = false;

  const load = async (position: number, length: number): Promise<void> => {
    const end = Math.min(size, position + Math.max(windowBytes, length));
    requests++;
    const bytes = await fetch(position, end);
    windowStart = position;
    window = bytes;
  };

  const covers = (position: number): boolean => position >= windowStart && position < windowStart + window.length;

  const copyFromWindow = (buffer: Buffer, offset: number, length: number, position: number): number => {
    if (!covers(position)) return 0;
    const from = position - windowStart;
    const n = Math.min(length, window.length - from);
    buffer.set(window.subarray(from, from + n), offset);
    return n;
  };

  return {
    metadata,
    get requests() {
      return requests;
    },
    async read(buffer, offset, length, position) {
      if (closed) throw new Error(`read of "${metadata.path}" after close`);
      let copied = 0;
      while (copied < length && position + copied < size) {
        const at = position + copied;
        const n = copyFromWindow(buffer, offset + copied, length - copied, at);
        if (n > 0) {
          copied += n;
          continue;
        }
        const want = length - copied;
        const next = pending.then(() => (covers(at) ? undefined : load(at, want)));
        pending = next.catch(() => {});
        await next;
        // An object shorter than its metadata said (replaced meanwhile) must not loop forever.
        if (!covers(at)) break;
      }
      return copied;
    },
    close() {
      closed = true;
      window = new Uint8Array(0);
      return Promise.resolve();
    },
  };
}
