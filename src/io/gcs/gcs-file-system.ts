import type { File, Storage } from "@google-cloud/storage";
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
import { gcsError, isGcsNotFound, loadGcsSdk, newStorage } from "./gcs-client.js";
import { GCS_DEFAULT_UPLOAD_BUFFER_BYTES, gcsConfigFrom, type GcsConfig } from "./gcs-options.js";
import { GcsWritableFile } from "./gcs-writable-file.js";

/** Deletes sent at once (the JSON API has no batch call in the Node client). */
const DELETE_CONCURRENCY = 16;
/** Objects per listing page. */
const PAGE_SIZE = 1000;

/**
 * Creates the `gs://` file system: from `config` when given, else from the pipeline options set
 * by `setDefaultFileSystemOptions` (`--gcsEndpoint`, `--gcpProject`), with the library's
 * defaults (STORAGE_EMULATOR_HOST, Application Default Credentials) for whatever neither
 * gives. Imports `@google-cloud/storage` (an optional peer). The built-in registry calls it
 * the first time a `gs://` path is used.
 *
 * @example
 * const gcs = await createGcsFileSystem({ endpoint: "http://127.0.0.1:4443", projectId: "test" });
 * const files = await gcs.match("gs://bucket/logs/**\/*.json");
 */
export async function createGcsFileSystem(config?: GcsConfig): Promise<FileSystem> {
  const sdk = await loadGcsSdk("GcsFileSystem");
  const resolved = config ?? gcsConfigFrom(defaultFileSystemOptions());
  return new GcsFileSystem(newStorage(sdk, resolved), resolved);
}

/** What a listing or a metadata call says about an object. */
interface ObjectMetadata {
  readonly name?: string;
  readonly size?: string | number;
  readonly updated?: string;
  readonly timeCreated?: string;
  readonly crc32c?: string;
  readonly md5Hash?: string;
  readonly generation?: string | number;
}

/**
 * Beam's GcsFileSystem on `@google-cloud/storage`. Objects are files and key prefixes ending
 * in `/` are directories. `open` reads through ranged GETs of the generation it opened, with
 * read-ahead; `create` uploads when closed (resumable above the buffer size); rename is copy
 * then delete, so it is not atomic (`atomicRename` false) and a crash between the two leaves
 * both objects.
 */
class GcsFileSystem implements FileSystem {
  readonly scheme = "gs";
  readonly atomicRename = false;
  private readonly storage: Storage;
  private readonly config: GcsConfig;

  constructor(storage: Storage, config: GcsConfig) {
    this.storage = storage;
    this.config = config;
  }

  async match(pattern: string): Promise<FileMetadata[]> {
    const { bucket, key } = parseObjectPath(pattern, "gs", "GcsFileSystem.match");
    if (globMatcher(bucket).literalPath === undefined) {
      throw new FileIOError(`GcsFileSystem.match: the bucket of "${pattern}" has a wildcard; only object names may. Name the bucket.`, { retryable: false });
    }
    const matcher = globMatcher(key);
    if (matcher.literalPath !== undefined) {
      const one = await this.metadata(objectPathOf("gs", bucket, matcher.literalPath));
      return one === undefined ? [] : [one];
    }
    const out: FileMetadata[] = [];
    for await (const file of this.listFiles(pattern, bucket, matcher.literalPrefix)) {
      if (!file.name.endsWith("/") && matcher.matches(file.name)) out.push(metadataOf(bucket, file.name, file.metadata as ObjectMetadata));
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async metadata(path: string): Promise<FileMetadata | undefined> {
    const m = await this.objectMetadata(path, "metadata");
    if (m === undefined) return undefined;
    const { bucket, key } = parseObjectPath(path, "gs", "GcsFileSystem.metadata");
    return metadataOf(bucket, key, m);
  }

  private async objectMetadata(path: string, op: string): Promise<ObjectMetadata | undefined> {
    const { bucket, key } = parseObjectPath(path, "gs", `GcsFileSystem.${op}`);
    if (key === "" || key.endsWith("/")) return undefined;
    try {
      const [m] = await this.storage.bucket(bucket).file(key).getMetadata();
      return m as ObjectMetadata;
    } catch (err) {
      if (isGcsNotFound(err)) return undefined;
      throw gcsError(op, path, err);
    }
  }

  async open(path: string): Promise<ReadableFile> {
    const m = await this.objectMetadata(path, "open");
    if (m === undefined) {
      throw new FileIOError(`GcsFileSystem.open: "${path}" does not exist. Check the path, or list its directory with a glob.`, { retryable: false });
    }
    const { bucket, key } = parseObjectPath(path, "gs", "GcsFileSystem.open");
    // The generation opened is the one read: a replacement fails the read instead of mixing two versions.
    const generation = m.generation === undefined ? undefined : Number(m.generation);
    const file = this.storage.bucket(bucket).file(key, generation !== undefined ? { generation } : {});
    return rangedReadableFile(
      metadataOf(bucket, key, m),
      async (start, end) => {
        try {
          const [bytes] = await file.download({ start, end: end - 1, validation: false, decompress: false });
          return bytes;
        } catch (err) {
          throw gcsError(`open (bytes ${start}-${end - 1})`, path, err);
        }
      },
      this.config.readWindowBytes !== undefined ? { windowBytes: this.config.readWindowBytes } : {},
    );
  }

  create(path: string, options: CreateOptions = {}): Promise<WritableFile> {
    const { bucket, key } = parseObjectPath(path, "gs", "GcsFileSystem.create");
    if (key === "" || key.endsWith("/")) {
      return Promise.reject(new FileIOError(`GcsFileSystem.create: "${path}" names a directory, not an object; add a file name.`, { retryable: false }));
    }
    const file = this.storage.bucket(bucket).file(key);
    return Promise.resolve(
      new GcsWritableFile(file, objectPathOf("gs", bucket, key), options.mimeType ?? "application/octet-stream", this.config.uploadBufferBytes ?? GCS_DEFAULT_UPLOAD_BUFFER_BYTES),
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

  /** Copies one pair; false when `retry` and the source is gone but the destination exists (a retried rename). */
  private async copyOne(move: FileMove, op: string, retry: boolean): Promise<boolean> {
    const from = parseObjectPath(move.from, "gs", `GcsFileSystem.${op}`);
    const to = parseObjectPath(move.to, "gs", `GcsFileSystem.${op}`);
    try {
      await this.storage.bucket(from.bucket).file(from.key).copy(this.storage.bucket(to.bucket).file(to.key));
      return true;
    } catch (err) {
      if (isGcsNotFound(err)) {
        if (retry && (await this.metadata(move.to)) !== undefined) return false;
        throw new FileIOError(`GcsFileSystem.${op}: the source "${move.from}" does not exist (copying to "${move.to}").`, { cause: err, retryable: false });
      }
      throw gcsError(op, `${move.from}" → "${move.to}`, err);
    }
  }

  async delete(paths: readonly string[]): Promise<void> {
    const files = paths.map((path) => {
      const { bucket, key } = parseObjectPath(path, "gs", "GcsFileSystem.delete");
      return { path, file: this.storage.bucket(bucket).file(key) };
    });
    await this.deleteFiles(files);
  }

  private async deleteFiles(files: readonly { path: string; file: File }[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const { path, file } = files[next++]!;
        try {
          await file.delete({ ignoreNotFound: true });
        } catch (err) {
          throw gcsError("delete", path, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, files.length) }, worker));
  }

  async deleteDirectory(dir: string): Promise<void> {
    const { bucket, key } = parseObjectPath(dir, "gs", "GcsFileSystem.deleteDirectory");
    const prefix = directoryPrefix(key);
    if (prefix === "") {
      throw new FileIOError(`GcsFileSystem.deleteDirectory: "${dir}" is a whole bucket; refusing to empty it. Name a directory inside it.`, { retryable: false });
    }
    let batch: { path: string; file: File }[] = [];
    for await (const file of this.listFiles(dir, bucket, prefix)) {
      batch.push({ path: objectPathOf("gs", bucket, file.name), file });
      if (batch.length === PAGE_SIZE) {
        await this.deleteFiles(batch);
        batch = [];
      }
    }
    await this.deleteFiles(batch);
  }

  mkdirs(): Promise<void> {
    // Directories are name prefixes: they exist once an object under them does.
    return Promise.resolve();
  }

  async list(dir: string): Promise<string[]> {
    const { bucket, key } = parseObjectPath(dir, "gs", "GcsFileSystem.list");
    const prefix = directoryPrefix(key);
    const names = new Set<string>();
    let pageToken: string | undefined;
    do {
      let files: File[];
      let response: { prefixes?: string[]; nextPageToken?: string };
      try {
        const [f, , r] = await this.storage
          .bucket(bucket)
          .getFiles({ prefix, delimiter: "/", autoPaginate: false, maxResults: PAGE_SIZE, ...(pageToken !== undefined ? { pageToken } : {}) });
        files = f;
        response = (r ?? {}) as { prefixes?: string[]; nextPageToken?: string };
      } catch (err) {
        if (isGcsNotFound(err)) return [];
        throw gcsError("list", dir, err);
      }
      for (const f of files) {
        const name = f.name.slice(prefix.length);
        if (name !== "") names.add(name);
      }
      for (const p of response.prefixes ?? []) {
        const name = p.slice(prefix.length).replace(/\/$/, "");
        if (name !== "") names.add(name);
      }
      pageToken = response.nextPageToken;
    } while (pageToken !== undefined && pageToken !== "");
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

  /** Every object whose name starts with `prefix`, page by page. */
  private async *listFiles(where: string, bucket: string, prefix: string): AsyncGenerator<File> {
    let pageToken: string | undefined;
    do {
      let files: File[];
      let next: { pageToken?: string } | null | undefined;
      try {
        [files, next] = await this.storage
          .bucket(bucket)
          .getFiles({ prefix, autoPaginate: false, maxResults: PAGE_SIZE, ...(pageToken !== undefined ? { pageToken } : {}) });
      } catch (err) {
        throw gcsError("match", where, err);
      }
      yield* files;
      pageToken = next?.pageToken;
    } while (pageToken !== undefined && pageToken !== "");
  }
}

function metadataOf(bucket: string, key: string, m: ObjectMetadata): FileMetadata {
  const checksum = m.crc32c ?? m.md5Hash;
  const time = m.updated ?? m.timeCreated;
  return {
    path: objectPathOf("gs", bucket, key),
    sizeBytes: Number(m.size ?? 0),
    lastModifiedMillis: time === undefined ? 0 : Date.parse(time),
    ...(checksum !== undefined ? { checksum } : {}),
  };
}
