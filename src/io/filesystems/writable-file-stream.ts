import { Writable } from "node:stream";
import type { WritableFile } from "./file-system.js";

/**
 * A Node stream over a WritableFile, for writers that produce a stream (a gzip compressor,
 * a text encoder): each chunk is written in order (the stream waits for one write before
 * the next, so backpressure reaches the producer), ending the stream closes the file (it
 * becomes visible), destroying it aborts the file (nothing becomes visible).
 *
 * @example pipeline(createGzip(), writableFileStream(await fs.create("s3://b/out.gz")))
 */
export function writableFileStream(file: WritableFile): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      file.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      file.close().then(() => callback(), callback);
    },
    destroy(err, callback) {
      // Destroyed before `final` finished: the file must not appear.
      if (this.writableFinished) callback(err);
      else file.abort().then(() => callback(err), () => callback(err));
    },
  });
}
