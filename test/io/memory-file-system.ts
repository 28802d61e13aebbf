// A test-only FileSystem kept in memory, scheme "mem", shaped like an object store: no
// atomic rename (rename is copy then delete), directories are key prefixes, an object
// appears only when its upload (`close`) completes. Registering it and running every reader
// and writer on mem:// proves they go through the FileSystem interface alone: nothing here
// is reachable through node:fs. Its state outlives a finalization stopped part-way (the
// "crash" of an in-process test), so a test can inspect what a crash leaves behind.
import {
  globMatcher,
  joinObjectPath,
  objectBasename,
  objectDirname,
  parseObjectPath,
  type CreateOptions,
  type FileMetadata,
  type FileMove,
  type FileSystem,
  type ReadableFile,
  type WritableFile,
} from "../../src/io/filesystems/index.js";

interface StoredObject {
  readonly bytes: Buffer;
  readonly lastModifiedMillis: number;
}

/** What a test may count: which operations the code under test used. */
export interface MemoryOperations {
  creates: number;
  copies: number;
  renames: number;
  deletes: number;
  ranged: number;
}

/**
 * An in-memory object store for one process. Paths are `mem://<bucket>/<key>`.
 *
 * @example registerFileSystem("mem", () => memory); await writeText("mem://b/out/words")...
 */
export class MemoryFileSystem implements FileSystem {
  readonly scheme = "mem";
  readonly atomicRename = false;
  /** Full path → object. */
  readonly objects = new Map<string, StoredObject>();
  readonly operations: MemoryOperations = { creates: 0, copies: 0, renames: 0, deletes: 0, ranged: 0 };

  /** Every stored path, sorted. */
  paths(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** An object's bytes as UTF-8 (tests). */
  text(path: string): string | undefined {
    return this.objects.get(path)?.bytes.toString("utf8");
  }

  /** Forgets every object and resets the operation counts. */
  clear(): void {
    this.objects.clear();
    Object.assign(this.operations, { creates: 0, copies: 0, renames: 0, deletes: 0, ranged: 0 });
  }

  async match(pattern: string): Promise<FileMetadata[]> {
    const { bucket, key } = parseObjectPath(pattern, "mem", "MemoryFileSystem.match");
    const matcher = globMatcher(key);
    const head = `mem://${bucket}/`;
    const out: FileMetadata[] = [];
    for (const path of this.paths()) {
      if (!path.startsWith(head)) continue;
      const k = path.slice(head.length);
      // As on object stores: list by the literal prefix, then test each key.
      if (!k.startsWith(matcher.literalPrefix) || k.endsWith("/")) continue;
      if (matcher.matches(k)) out.push(this.metadataOf(path));
    }
    return Promise.resolve(out);
  }

  metadata(path: string): Promise<FileMetadata | undefined> {
    return Promise.resolve(this.objects.has(path) ? this.metadataOf(path) : undefined);
  }

  open(path: string): Promise<ReadableFile> {
    const object = this.objects.get(path);
    if (object === undefined) return Promise.reject(new Error(`MemoryFileSystem.open: "${path}" does not exist`));
    // The bytes as of the open, as a ranged GET of one object generation would see them.
    const bytes = object.bytes;
    const metadata = this.metadataOf(path);
    let closed = false;
    return Promise.resolve({
      metadata,
      read: (buffer: Buffer, offset: number, length: number, position: number): Promise<number> => {
        if (closed) return Promise.reject(new Error(`read of "${path}" after close`));
        this.operations.ranged++;
        if (position >= bytes.length) return Promise.resolve(0);
        return Promise.resolve(bytes.copy(buffer, offset, position, Math.min(bytes.length, position + length)));
      },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    });
  }

  create(path: string, options: CreateOptions = {}): Promise<WritableFile> {
    void options; // an object store replaces, and an upload is durable when complete
    parseObjectPath(path, "mem", "MemoryFileSystem.create");
    this.operations.creates++;
    const chunks: Buffer[] = [];
    let state: "open" | "closed" | "aborted" = "open";
    return Promise.resolve({
      path,
      write: (chunk: Uint8Array): Promise<void> => {
        if (state !== "open") return Promise.reject(new Error(`write to "${path}" after ${state}`));
        chunks.push(Buffer.from(chunk));
        return Promise.resolve();
      },
      close: (): Promise<void> => {
        if (state === "aborted") return Promise.reject(new Error(`close of "${path}" after abort`));
        if (state === "open") this.objects.set(path, { bytes: Buffer.concat(chunks), lastModifiedMillis: Date.now() });
        state = "closed";
        return Promise.resolve();
      },
      abort: (): Promise<void> => {
        if (state === "open") state = "aborted";
        return Promise.resolve();
      },
    });
  }

  async rename(moves: readonly FileMove[]): Promise<void> {
    for (const { from, to } of moves) {
      this.operations.renames++;
      if (!this.objects.has(from) && this.objects.has(to)) continue; // a retry whose first attempt went through
      await this.copy([{ from, to }]);
      await this.delete([from]);
    }
  }

  copy(moves: readonly FileMove[]): Promise<void> {
    for (const { from, to } of moves) {
      const object = this.objects.get(from);
      if (object === undefined) return Promise.reject(new Error(`MemoryFileSystem.copy: "${from}" does not exist`));
      this.operations.copies++;
      this.objects.set(to, { bytes: object.bytes, lastModifiedMillis: Date.now() });
    }
    return Promise.resolve();
  }

  delete(paths: readonly string[]): Promise<void> {
    for (const p of paths) if (this.objects.delete(p)) this.operations.deletes++;
    return Promise.resolve();
  }

  deleteDirectory(dir: string): Promise<void> {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    for (const p of this.paths()) if (p.startsWith(prefix) && this.objects.delete(p)) this.operations.deletes++;
    return Promise.resolve();
  }

  mkdirs(dir: string): Promise<void> {
    void dir; // directories are key prefixes
    return Promise.resolve();
  }

  list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.objects.keys()) {
      if (!p.startsWith(prefix)) continue;
      const name = p.slice(prefix.length).split("/")[0]!;
      if (name !== "") names.add(name);
    }
    return Promise.resolve([...names].sort());
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

  private metadataOf(path: string): FileMetadata {
    const o = this.objects.get(path)!;
    return { path, sizeBytes: o.bytes.length, lastModifiedMillis: o.lastModifiedMillis };
  }
}
