import type { ReadableFile } from "./file-system.js";

/** Bytes asked for per read of a stream over a ReadableFile. */
const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * The bytes of `file` from `start` up to `end` (exclusive; default its end) as a stream of
 * chunks, for consumers that read front to back (decompressors, parsers). Each chunk is a
 * fresh buffer the consumer may keep.
 *
 * @example for await (const chunk of readableFileStream(file)) hash.update(chunk);
 */
export async function* readableFileStream(file: ReadableFile, start = 0, end = file.metadata.sizeBytes): AsyncGenerator<Buffer> {
  let position = start;
  while (position < end) {
    const buffer = Buffer.allocUnsafe(Math.min(STREAM_CHUNK_BYTES, end - position));
    const n = await file.read(buffer, 0, buffer.length, position);
    if (n === 0) return; // the file shrank since it was opened
    position += n;
    yield n === buffer.length ? buffer : buffer.subarray(0, n);
  }
}
