/**
 * The contract every file system implements (Beam's `FileSystem`: Java's
 * org.apache.beam.sdk.io.FileSystem, Python's apache_beam.io.filesystem.FileSystem). File
 * readers and writers never touch `node:fs` or an object-store client directly: they ask
 * `fileSystemFor(path)` (file-systems.ts) for the implementation of the path's scheme.
 *
 * Paths are strings. A local path is an absolute or relative OS path (or `file:///abs`); an
 * object-store path is `<scheme>://<bucket>/<key>`. A directory of an object store is a key
 * prefix ending in `/`; it exists as long as some key has that prefix.
 */

/** What a match or a metadata call knows about one file (Beam's MatchResult.Metadata). */
export interface FileMetadata {
  /** The file's full path as the file system spells it (absolute for local files, `s3://b/k` for objects). */
  readonly path: string;
  readonly sizeBytes: number;
  /** Last modification time in milliseconds since the epoch (the object's creation time on object stores). */
  readonly lastModifiedMillis: number;
  /** A content checksum when the store keeps one (S3 ETag, GCS md5/crc32c); never computed on the fly. */
  readonly checksum?: string;
}

/**
 * A file opened for reading with random access. `read` copies up to `length` bytes at
 * `position` into `buffer[offset..]` and resolves to the count copied (0 at or past the end),
 * the same shape as `FileHandle.read`, so the text, CSV, Avro and Parquet readers read a
 * byte range of any file system alike. Object-store implementations fetch ranges ahead
 * (large ranged GETs), so many small sequential reads cost few requests.
 */
export interface ReadableFile {
  readonly metadata: FileMetadata;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A file being written. Nothing is visible at `path` until `close` resolves: a local file
 * is written in place (writers write to temporary paths and rename), an object is uploaded
 * (multipart for large ones) and appears only when the upload completes. `abort` discards
 * what was written and never throws.
 */
export interface WritableFile {
  readonly path: string;
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes and makes the file visible (durable first when created with `durable`). */
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** Options of `FileSystem.create`. */
export interface CreateOptions {
  /** Content type stored with the object (object stores); ignored locally. Default application/octet-stream. */
  readonly mimeType?: string;
  /**
   * Make the bytes durable before `close` resolves (fsync locally), for writers whose
   * commit must survive a machine crash (two-phase sinks). Object stores always are.
   */
  readonly durable?: boolean;
  /** Fail if the file exists instead of replacing it (local files; object stores replace). */
  readonly exclusive?: boolean;
}

/** One source → destination pair of a rename or copy. */
export interface FileMove {
  readonly from: string;
  readonly to: string;
}

/**
 * A file system for one scheme. Every method fails with an Error whose message names the
 * path; "not found" is a result (undefined or an empty match), not an error, except in
 * `open` and in `rename`/`copy` of a missing source.
 */
export interface FileSystem {
  /** The URI scheme this file system serves: "file", "s3", "gs". */
  readonly scheme: string;
  /**
   * Whether `rename` is atomic (the destination shows the whole file or nothing, and the
   * source disappears in the same step). Local file systems: true. Object stores: false —
   * rename is copy then delete, so a writer finalizes by copying complete temporary objects
   * and deleting them afterwards, and a crash in between leaves both (docs/IO.md).
   */
  readonly atomicRename: boolean;

  /**
   * The files matching a pattern in Beam's glob syntax (`*`, `?` within a segment, `**`
   * across segments, `[a-c]`, `[!a-c]`, `{a,b}`, `\` escapes), sorted by path. A pattern
   * without wildcards matches that one file if it exists. Directories never match.
   */
  match(pattern: string): Promise<FileMetadata[]>;
  /** One file's metadata, or undefined when it does not exist. */
  metadata(path: string): Promise<FileMetadata | undefined>;
  /** Opens a file for random-access reading; fails naming the path when it does not exist. */
  open(path: string): Promise<ReadableFile>;
  /** Creates (or replaces) a file; parent directories are created as needed. */
  create(path: string, options?: CreateOptions): Promise<WritableFile>;
  /**
   * Moves files, replacing destinations. Atomic per file when `atomicRename`; otherwise a
   * copy followed by a delete of the source. Idempotent for a retry: a pair whose source is
   * gone and whose destination exists counts as done.
   */
  rename(moves: readonly FileMove[]): Promise<void>;
  /** Copies files, replacing destinations. */
  copy(moves: readonly FileMove[]): Promise<void>;
  /** Deletes files; a missing one is not an error. */
  delete(paths: readonly string[]): Promise<void>;
  /** Deletes a directory and everything under it (a key prefix on object stores); missing is fine. */
  deleteDirectory(dir: string): Promise<void>;
  /** Creates a directory and its parents (no-op on object stores, where directories are prefixes). */
  mkdirs(dir: string): Promise<void>;
  /** The names (not paths) directly under a directory, sorted; [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Joins a directory and names with this file system's separator (`/`). */
  join(dir: string, ...names: string[]): string;
  /** The directory part of a path (`dirname`), keeping the scheme and bucket. */
  dirname(path: string): string;
  /** The last segment of a path (`basename`). */
  basename(path: string): string;
}
