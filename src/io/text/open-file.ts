import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { fileSystemFor, readableFileStream, type ReadableFile } from "../filesystems/index.js";
import { isGzipped, type ReadCompression } from "./compression-option.js";

/** A file's bytes as a Node stream, and how to release the file. */
export interface OpenedFileStream {
  /** The file's (decompressed) bytes, front to back. */
  readonly stream: Readable;
  /** Stops reading and closes the file; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a file of any file system (local, s3://, gs://, ...) for reading front to back, as a
 * stream of its bytes, gunzipped when `compression` says so (a gzip error surfaces as a
 * stream error with zlib's `Z_` code). For readers that cannot seek: compressed text and
 * whole-file CSV.
 *
 * @example const { stream, close } = await openFileStream("s3://b/logs/a.txt.gz", "auto");
 */
export async function openFileStream(path: string, compression: ReadCompression): Promise<OpenedFileStream> {
  const file = await (await fileSystemFor(path)).open(path);
  const raw = Readable.from(readableFileStream(file), { objectMode: false });
  const stream = isGzipped(path, compression)
    ? pipeline(raw, createGunzip(), () => {
        // Errors surface through the consumer of `stream`.
      })
    : raw;
  let closed: Promise<void> | undefined;
  return {
    stream,
    close: () =>
      (closed ??= (async () => {
        raw.destroy();
        stream.destroy();
        await file.close();
      })()),
  };
}

/**
 * Opens a file of any file system for positioned reads (a `PositionedSource`: LineScanner,
 * byte ranges, line numbering). Locally this is a FileHandle's `read`; object stores read
 * ranges ahead.
 *
 * @example const file = await openReadableFile("gs://b/data/a.csv"); try { ... } finally { await file.close(); }
 */
export async function openReadableFile(path: string): Promise<ReadableFile> {
  return (await fileSystemFor(path)).open(path);
}
