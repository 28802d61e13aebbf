import type { S3Client, _Object } from "@aws-sdk/client-s3";
import { FileIOError } from "../files/index.js";
import {
  defaultFileSystemOptions,
  directoryPrefix,
  globMatcher,
  joinObjectPath,
  objectBasename,
  objectDirname,
  objectPathOf,
  parseObjectPath,
  rangedReadableFile,
  type CreateOptions,
  type FileMetadata,
  type FileMove,
  type FileSystem,
  type ReadableFile,
  type WritableFile,
} from "../filesystems/index.js";
import { isNotFound, loadS3Sdk, newS3Client, s3Error, type S3Sdk } from "./s3-client.js";
import { S3_DEFAULT_PART_BYTES, S3_MIN_PART_BYTES, s3ConfigFrom, type S3Config } from "./s3-options.js";
import { S3WritableFile } from "./s3-writable-file.js";

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * Creates the `s3://` file system: from `config` when given, else from the pipeline options
 * set by `setDefaultFileSystemOptions` (`--s3Region`, `--s3Endpoint`, ...), with the AWS SDK's
 * standard chain for whatever neither gives. Imports `@aws-sdk/client-s3` (an optional peer).
 * The built-in registry calls it the first time an `s3://` path is used.
 *
 * @example
 * const s3 = await createS3FileSystem({ endpoint: "http://127.0.0.1:9000", region: "us-east-1", forcePathStyle: true });
 * const files = await s3.match("s3://bucket/logs/*.json");
 */
export async function createS3FileSystem(config?: S3Config): Promise<FileSystem> {
  const sdk = await loadS3Sdk("S3FileSystem");
  return new S3FileSystem(sdk, config ?? s3ConfigFrom(defaultFileSystemOptions()));
}

/**
 * Beam's S3FileSystem on the AWS SDK v3. Objects are files and key prefixes ending in `/` are
 * directories. `open` reads through ranged GETs with read-ahead; `create` uploads when closed
 * (multipart above one part); rename is CopyObject then DeleteObject, so it is not atomic
 * (`atomicRename` false) and a crash between the two leaves both objects. CopyObject copies
 * at most 5 GiB: larger objects cannot be renamed or copied (multipart copy is not
 * implemented; write them in place instead).
 */
class S3FileSystem implements FileSystem {
  readonly scheme = "s3";
  readonly atomicRename = false;
  private readonly sdk: S3Sdk;
  private readonly client: S3Client;
  private readonly config: S3Config;

  constructor(sdk: S3Sdk, config: S3Config) {
    this.sdk = sdk;
    this.config = config;
    this.client = newS3Client(sdk, config);
    if (config.uploadPartBytes !== undefined && config.uploadPartBytes < S3_MIN_PART_BYTES) {
      throw new FileIOError(`S3FileSystem: --s3UploadBufferSizeBytes=${config.uploadPartBytes} is below S3's smallest part, ${S3_MIN_PART_BYTES} bytes; raise it.`, {
        retryable: false,
      });
    }
  }

  async match(pattern: string): Promise<FileMetadata[]> {
    const { bucket, key } = parseObjectPath(pattern, "s3", "S3FileSystem.match");
    if (globMatcher(bucket).literalPath === undefined) {
      throw new FileIOError(`S3FileSystem.match: the bucket of "${pattern}" has a wildcard; only keys may. Name the bucket.`, { retryable: false });
    }
    const matcher = globMatcher(key);
    if (matcher.literalPath !== undefined) {
      const one = await this.metadata(objectPathOf("s3", bucket, matcher.literalPath));
      return one === undefined ? [] : [one];
    }
    const out: FileMetadata[] = [];
    for await (const object of this.listObjects(pattern, bucket, matcher.literalPrefix)) {
      const k = object.Key!;
      // Keys ending in "/" are directory markers (made by consoles), not files.
      if (!k.endsWith("/") && matcher.matches(k)) out.push(this.metadataOf(bucket, object));
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  metadata(path: string): Promise<FileMetadata | undefined> {
    return this.head(path, "metadata");
  }

  private async head(path: string, op: string): Promise<FileMetadata | undefined> {
    const { bucket, key } = parseObjectPath(path, "s3", `S3FileSystem.${op}`);
    if (key === "" || key.endsWith("/")) return undefined;
    try {
      const out = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        path: objectPathOf("s3", bucket, key),
        sizeBytes: out.ContentLength ?? 0,
        lastModifiedMillis: out.LastModified?.getTime() ?? 0,
        ...(out.ETag !== undefined ? { checksum: unquote(out.ETag) } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw s3Error(op, path, err);
    }
  }

  async open(path: string): Promise<ReadableFile> {
    const metadata = await this.head(path, "open");
    if (metadata === undefined) {
      throw new FileIOError(`S3FileSystem.open: "${path}" does not exist. Check the path, or list its directory with a glob.`, { retryable: false });
    }
    const { bucket, key } = parseObjectPath(path, "s3", "S3FileSystem.open");
    return rangedReadableFile(
      metadata,
      async (start, end) => {
        try {
          const out = await this.client.send(
            new this.sdk.GetObjectCommand({
              Bucket: bucket,
              Key: key,
              Range: `bytes=${start}-${end - 1}`,
              // The object read is the one opened: a replacement fails the read instead of mixing two versions.
              ...(metadata.checksum !== undefined ? { IfMatch: `"${metadata.checksum}"` } : {}),
            }),
          );
          return out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
        } catch (err) {
          throw s3Error(`open (bytes ${start}-${end - 1})`, path, err);
        }
      },
      this.config.readWindowBytes !== undefined ? { windowBytes: this.config.readWindowBytes } : {},
    );
  }

  create(path: string, options: CreateOptions = {}): Promise<WritableFile> {
    const { bucket, key } = parseObjectPath(path, "s3", "S3FileSystem.create");
    if (key === "" || key.endsWith("/")) {
      return Promise.reject(new FileIOError(`S3FileSystem.create: "${path}" names a directory, not an object; add a file name.`, { retryable: false }));
    }
    return Promise.resolve(
      new S3WritableFile({
        sdk: this.sdk,
        client: this.client,
        bucket,
        key,
        path: objectPathOf("s3", bucket, key),
        contentType: options.mimeType ?? "application/octet-stream",
        partBytes: this.config.uploadPartBytes ?? S3_DEFAULT_PART_BYTES,
        concurrency: this.config.uploadConcurrency ?? 4,
      }),
    );
  }

  async rename(moves: readonly FileMove[]): Promise<void> {
    for (const move of moves) {
      const copied = await this.copyOne(move, "rename", true);
      if (copied) await this.delete([move.from]);
    }
  }

  async copy(moves: readonly FileMove[]): Promise<void> {
    for (const move of moves) await this.copyOne(move, "copy", false);
  }

  /**
   * CopyObject of one pair. Returns false when the source is gone but the destination exists
   * and `retry` allows it: a rename retried after its copy and delete already happened.
   */
  private async copyOne(move: FileMove, op: string, retry: boolean): Promise<boolean> {
    const from = parseObjectPath(move.from, "s3", `S3FileSystem.${op}`);
    const to = parseObjectPath(move.to, "s3", `S3FileSystem.${op}`);
    try {
      await this.client.send(
        new this.sdk.CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: `${from.bucket}/${encodeKey(from.key)}` }),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        if (retry && (await this.metadata(move.to)) !== undefined) return false;
        throw new FileIOError(`S3FileSystem.${op}: the source "${move.from}" does not exist (copying to "${move.to}").`, { cause: err, retryable: false });
      }
      throw s3Error(op, `${move.from}" → "${move.to}`, err);
    }
  }

  async delete(paths: readonly string[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const path of paths) {
      const { bucket, key } = parseObjectPath(path, "s3", "S3FileSystem.delete");
      let keys = byBucket.get(bucket);
      if (keys === undefined) byBucket.set(bucket, (keys = []));
      keys.push(key);
    }
    for (const [bucket, keys] of byBucket) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) await this.deleteKeys(bucket, keys.slice(i, i + DELETE_BATCH));
    }
  }

  private async deleteKeys(bucket: string, keys: readonly string[]): Promise<void> {
    const where = objectPathOf("s3", bucket, keys[0] ?? "");
    let errors: readonly { Key?: string; Code?: string; Message?: string }[];
    try {
      const out = await this.client.send(
        new this.sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      errors = out.Errors ?? [];
    } catch (err) {
      throw s3Error(`delete (${keys.length} objects)`, where, err);
    }
    // A missing key is not an error to S3's DeleteObjects either; anything reported is real.
    if (errors.length > 0) {
      const first = errors.slice(0, 3).map((e) => `"${objectPathOf("s3", bucket, e.Key ?? "")}" (${e.Code ?? "?"}: ${e.Message ?? ""})`);
      throw new FileIOError(`S3FileSystem.delete: ${errors.length} of ${keys.length} objects were not deleted: ${first.join(", ")}${errors.length > 3 ? ", ..." : ""}.`, {
        retryable: true,
      });
    }
  }

  async deleteDirectory(dir: string): Promise<void> {
    const { bucket, key } = parseObjectPath(dir, "s3", "S3FileSystem.deleteDirectory");
    const prefix = directoryPrefix(key);
    if (prefix === "") {
      throw new FileIOError(`S3FileSystem.deleteDirectory: "${dir}" is a whole bucket; refusing to empty it. Name a directory inside it.`, { retryable: false });
    }
    let batch: string[] = [];
    for await (const object of this.listObjects(dir, bucket, prefix)) {
      batch.push(object.Key!);
      if (batch.length === DELETE_BATCH) {
        await this.deleteKeys(bucket, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.deleteKeys(bucket, batch);
  }

  mkdirs(): Promise<void> {
    // Directories are key prefixes: they exist once an object under them does.
    return Promise.resolve();
  }

  async list(dir: string): Promise<string[]> {
    const { bucket, key } = parseObjectPath(dir, "s3", "S3FileSystem.list");
    const prefix = directoryPrefix(key);
    const names = new Set<string>();
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new this.sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/", ...(token !== undefined ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        if ((err as { name?: string }).name === "NoSuchBucket") return [];
        throw s3Error("list", dir, err);
      }
      for (const o of out.Contents ?? []) {
        const name = o.Key!.slice(prefix.length);
        if (name !== "") names.add(name);
      }
      for (const p of out.CommonPrefixes ?? []) {
        const name = p.Prefix!.slice(prefix.length).replace(/\/$/, "");
        if (name !== "") names.add(name);
      }
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return [...names].sort();
  }

  join(dir: string, ...names: string[]): string {
    return joinObjectPath(dir, ...names);
  }

  dirname(path: string): string {
    return objectDirname(path);
  }

  basename(path: string): string {
    return objectBasename(path);
  }

  /** Every object whose key starts with `prefix`, page by page (ListObjectsV2). */
  private async *listObjects(where: string, bucket: string, prefix: string): AsyncGenerator<_Object> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new this.sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        throw s3Error("match", where, err);
      }
      for (const object of out.Contents ?? []) if (object.Key !== undefined) yield object;
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  private metadataOf(bucket: string, object: _Object): FileMetadata {
    return {
      path: objectPathOf("s3", bucket, object.Key!),
      sizeBytes: object.Size ?? 0,
      lastModifiedMillis: object.LastModified?.getTime() ?? 0,
      ...(object.ETag !== undefined ? { checksum: unquote(object.ETag) } : {}),
    };
  }
}

/** A key for CopySource: URL-encoded per segment, as S3 expects. */
function encodeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}
