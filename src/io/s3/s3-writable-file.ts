import type { CompletedPart, S3Client } from "@aws-sdk/client-s3";
import { FileIOError } from "../files/index.js";
import type { WritableFile } from "../filesystems/index.js";
import { s3Error, type S3Sdk } from "./s3-client.js";

/** Where and how an S3WritableFile uploads. */
export interface S3Upload {
  readonly sdk: S3Sdk;
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The `s3://` path, for messages. */
  readonly path: string;
  readonly contentType: string;
  /** Part size, also the multipart threshold. */
  readonly partBytes: number;
  /** Parts in flight at once. */
  readonly concurrency: number;
}

/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;

/**
 * An object being written to S3 (Beam's S3WritableByteChannel). Bytes are buffered; an object
 * smaller than one part is sent with a single PutObject at `close`, a larger one as a
 * multipart upload whose parts go out while writing goes on. Either way S3 shows the object
 * only when the PutObject or CompleteMultipartUpload succeeds, so a reader never sees part of
 * it. A failure, or `abort`, aborts the multipart upload so that no parts are left billed.
 *
 * @example
 * const file = new S3WritableFile({ sdk, client, bucket: "b", key: "k", path: "s3://b/k", contentType: "text/plain", partBytes: 8 << 20, concurrency: 4 });
 * await file.write(bytes);
 * await file.close();
 */
export class S3WritableFile implements WritableFile {
  readonly path: string;
  private readonly upload: S3Upload;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private uploadId: string | undefined;
  private starting: Promise<string> | undefined;
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private nextPart = 1;
  private failure: unknown;
  private state: "open" | "closing" | "closed" | "aborted" = "open";

  constructor(upload: S3Upload) {
    this.upload = upload;
    this.path = upload.path;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.checkOpen("write");
    if (this.failure !== undefined) throw this.failure;
    if (chunk.length === 0) return;
    // A copy: the caller may reuse its buffer once write resolves, before the part is sent.
    this.chunks.push(new Uint8Array(chunk));
    this.buffered += chunk.length;
    if (this.buffered >= this.upload.partBytes) await this.sendPart();
  }

  async close(): Promise<void> {
    this.checkOpen("close");
    this.state = "closing";
    try {
      if (this.failure !== undefined) throw this.failure;
      if (this.uploadId === undefined && this.starting === undefined) {
        await this.putWhole();
      } else {
        if (this.buffered > 0) await this.sendPart();
        await Promise.all(this.inFlight);
        if (this.failure !== undefined) throw this.failure;
        await this.complete();
      }
      this.state = "closed";
    } catch (err) {
      await this.abortUpload();
      this.state = "aborted";
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state === "closed" || this.state === "aborted") return;
    this.state = "aborted";
    this.chunks = [];
    await Promise.allSettled(this.inFlight);
    await this.abortUpload();
  }

  private checkOpen(op: string): void {
    if (this.state !== "open") {
      throw new FileIOError(`S3FileSystem: ${op} of "${this.path}" after it was ${this.state === "closing" ? "closed" : this.state}; create the file again.`, { retryable: false });
    }
  }

  private takeBuffered(): Buffer {
    const body = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    return body;
  }

  private async putWhole(): Promise<void> {
    const { sdk, client, bucket, key, contentType } = this.upload;
    const body = this.takeBuffered();
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (err) {
      throw s3Error("create", this.path, err);
    }
  }

  /** Sends the buffered bytes as the next part, waiting first while `concurrency` parts are in flight. */
  private async sendPart(): Promise<void> {
    while (this.inFlight.size >= this.upload.concurrency) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    const partNumber = this.nextPart++;
    if (partNumber > MAX_PARTS) {
      throw new FileIOError(
        `S3FileSystem.create: "${this.path}" needs more than ${MAX_PARTS} parts of ${this.upload.partBytes} bytes; raise --s3UploadBufferSizeBytes.`,
        { retryable: false },
      );
    }
    const body = this.takeBuffered();
    const sent = this.startUpload()
      .then((uploadId) => this.uploadPart(uploadId, partNumber, body))
      .catch((err: unknown) => {
        this.failure ??= err;
      });
    const tracked: Promise<void> = sent.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private startUpload(): Promise<string> {
    const { sdk, client, bucket, key, contentType } = this.upload;
    this.starting ??= client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType })).then(
      (out) => {
        if (out.UploadId === undefined) throw new FileIOError(`S3FileSystem.create: "${this.path}": CreateMultipartUpload returned no upload id.`);
        this.uploadId = out.UploadId;
        return out.UploadId;
      },
      (err: unknown) => {
        throw s3Error("create", this.path, err);
      },
    );
    return this.starting;
  }

  private async uploadPart(uploadId: string, partNumber: number, body: Buffer): Promise<void> {
    const { sdk, client, bucket, key } = this.upload;
    try {
      const out = await client.send(new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
      this.parts.push({ PartNumber: partNumber, ETag: out.ETag });
    } catch (err) {
      throw s3Error(`create (part ${partNumber})`, this.path, err);
    }
  }

  private async complete(): Promise<void> {
    const { sdk, client, bucket, key } = this.upload;
    const parts = [...this.parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    try {
      await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      throw s3Error("close", this.path, err);
    }
  }

  /** AbortMultipartUpload, never throwing: S3's lifecycle rules clean up what a failed abort leaves. */
  private async abortUpload(): Promise<void> {
    const uploadId = this.starting === undefined ? undefined : await this.starting.catch(() => undefined);
    if (uploadId === undefined) return;
    const { sdk, client, bucket, key } = this.upload;
    try {
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch {
      // Best effort by contract (abort never throws).
    }
  }
}
