import type { Writable } from "node:stream";
import type { File } from "@google-cloud/storage";
import { FileIOError } from "../files/index.js";
import type { WritableFile } from "../filesystems/index.js";
import { gcsError } from "./gcs-client.js";

/**
 * An object being written to Cloud Storage (Beam's GCS write channel). Bytes are buffered; an
 * object smaller than the buffer goes up in one simple upload at `close`, a larger one as a
 * resumable upload streamed in chunks while writing goes on. Cloud Storage shows an object
 * only when its upload completes, so a reader never sees part of it; `abort` (or a failure)
 * stops the upload unfinished, and the service discards the session.
 *
 * @example
 * const out = new GcsWritableFile(bucket.file("k"), "gs://b/k", "text/plain", 8 << 20);
 * await out.write(bytes);
 * await out.close();
 */
export class GcsWritableFile implements WritableFile {
  readonly path: string;
  private readonly file: File;
  private readonly contentType: string;
  private readonly bufferBytes: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private stream: Writable | undefined;
  private finished: Promise<void> | undefined;
  private failure: unknown;
  private state: "open" | "closing" | "closed" | "aborted" = "open";

  constructor(file: File, path: string, contentType: string, bufferBytes: number) {
    this.file = file;
    this.path = path;
    this.contentType = contentType;
    this.bufferBytes = bufferBytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.checkOpen("write");
    if (chunk.length === 0) return;
    if (this.stream === undefined) {
      // A copy: the caller may reuse its buffer once write resolves.
      this.chunks.push(new Uint8Array(chunk));
      this.buffered += chunk.length;
      if (this.buffered >= this.bufferBytes) await this.startResumable();
      return;
    }
    await this.send(new Uint8Array(chunk));
  }

  async close(): Promise<void> {
    this.checkOpen("close");
    this.state = "closing";
    try {
      if (this.stream === undefined) {
        const body = Buffer.concat(this.chunks, this.buffered);
        this.chunks = [];
        await this.file.save(body, { resumable: false, contentType: this.contentType });
      } else {
        this.stream.end();
        await this.finished;
      }
      this.state = "closed";
    } catch (err) {
      this.stream?.destroy();
      this.state = "aborted";
      throw err instanceof FileIOError ? err : gcsError("close", this.path, err);
    }
  }

  abort(): Promise<void> {
    if (this.state === "closed" || this.state === "aborted") return Promise.resolve();
    this.state = "aborted";
    this.chunks = [];
    // Destroying the stream leaves the resumable session unfinalized: no object appears.
    this.stream?.destroy(new Error("aborted"));
    return this.finished === undefined ? Promise.resolve() : this.finished.catch(() => {});
  }

  private checkOpen(op: string): void {
    if (this.state !== "open") {
      throw new FileIOError(`GcsFileSystem: ${op} of "${this.path}" after it was ${this.state === "closing" ? "closed" : this.state}; create the file again.`, { retryable: false });
    }
  }

  private async startResumable(): Promise<void> {
    const stream = this.file.createWriteStream({ resumable: true, contentType: this.contentType, chunkSize: this.bufferBytes });
    this.stream = stream;
    this.finished = new Promise<void>((resolve, reject) => {
      stream.once("finish", resolve);
      stream.once("error", reject);
    });
    // Recorded here so a failure before close is not an unhandled rejection; write and close rethrow it.
    this.finished.catch((err: unknown) => {
      this.failure ??= err;
    });
    const body = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    await this.send(body);
  }

  /** Writes to the upload stream, waiting for it to drain (or fail). */
  private async send(bytes: Uint8Array): Promise<void> {
    const stream = this.stream!;
    if (this.failure !== undefined || stream.destroyed) throw gcsError("create", this.path, this.failure ?? new Error("the upload stream was closed"));
    if (stream.write(bytes)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        stream.off("error", onError);
        resolve();
      };
      const onError = (err: unknown) => {
        stream.off("drain", onDrain);
        reject(gcsError("create", this.path, err));
      };
      stream.once("drain", onDrain);
      stream.once("error", onError);
    });
  }
}
