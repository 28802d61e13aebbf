import { copyFile, mkdir, open, readdir, rename, rm, stat, type FileHandle } from "node:fs/promises";
import nodePath from "node:path";
import type { CreateOptions, FileMetadata, FileMove, FileSystem, ReadableFile, WritableFile } from "./file-system.js";
import { expandGlob } from "./local-glob.js";

/**
 * The local file system (Beam's LocalFileSystem) on `node:fs`. Paths are OS paths, relative
 * ones resolved against the working directory, or `file:///absolute/path` URLs; results
 * name files by absolute OS path. Rename is `rename(2)`: atomic within one file system.
 *
 * @example const fs = new LocalFileSystem(); const files = await fs.match("data/*.csv");
 */
export class LocalFileSystem implements FileSystem {
  readonly scheme = "file";
  readonly atomicRename = true;

  async match(pattern: string): Promise<FileMetadata[]> {
    const files = await expandGlob(osPath(pattern));
    const out: FileMetadata[] = [];
    for (const file of files) {
      // A file deleted between the walk and its stat is no longer matched.
      const m = await this.metadata(file);
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  async metadata(path: string): Promise<FileMetadata | undefined> {
    const file = nodePath.resolve(osPath(path));
    try {
      const s = await stat(file);
      return s.isFile() ? { path: file, sizeBytes: s.size, lastModifiedMillis: s.mtimeMs } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async open(path: string): Promise<ReadableFile> {
    const file = nodePath.resolve(osPath(path));
    const handle = await open(file, "r");
    try {
      const s = await handle.stat();
      const metadata: FileMetadata = { path: file, sizeBytes: s.size, lastModifiedMillis: s.mtimeMs };
      return {
        metadata,
        read: async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
        close: () => handle.close(),
      };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async create(path: string, options: CreateOptions = {}): Promise<WritableFile> {
    const file = nodePath.resolve(osPath(path));
    await mkdir(nodePath.dirname(file), { recursive: true });
    const handle = await open(file, options.exclusive === true ? "wx" : "w");
    return new LocalWritableFile(file, handle, options.durable === true);
  }

  async rename(moves: readonly FileMove[]): Promise<void> {
    for (const { from, to } of moves) {
      const src = osPath(from);
      const dst = osPath(to);
      try {
        await mkdir(nodePath.dirname(nodePath.resolve(dst)), { recursive: true });
        await rename(src, dst);
      } catch (err) {
        // A retried rename whose first attempt went through: the source is gone, the destination there.
        if (isNotFound(err) && (await this.metadata(dst)) !== undefined) continue;
        throw err;
      }
    }
  }

  async copy(moves: readonly FileMove[]): Promise<void> {
    for (const { from, to } of moves) {
      const dst = osPath(to);
      await mkdir(nodePath.dirname(nodePath.resolve(dst)), { recursive: true });
      await copyFile(osPath(from), dst);
    }
  }

  async delete(paths: readonly string[]): Promise<void> {
    for (const p of paths) await rm(osPath(p), { force: true });
  }

  async deleteDirectory(dir: string): Promise<void> {
    await rm(osPath(dir), { recursive: true, force: true });
  }

  async mkdirs(dir: string): Promise<void> {
    await mkdir(osPath(dir), { recursive: true });
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await readdir(osPath(dir))).sort();
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  join(dir: string, ...names: string[]): string {
    return nodePath.join(osPath(dir), ...names);
  }

  dirname(path: string): string {
    return nodePath.dirname(osPath(path));
  }

  basename(path: string): string {
    return nodePath.basename(osPath(path));
  }
}

/** A local file being written: written in place, fsynced on close when durable. */
class LocalWritableFile implements WritableFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly durable: boolean,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    let done = 0;
    while (done < chunk.length) done += (await this.handle.write(chunk, done, chunk.length - done)).bytesWritten;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.durable) await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }

  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/**
 * The OS path of a local path or `file:///abs` path. The prefix is cut, not URL-decoded:
 * patterns keep their `?`, `#` and `%` as glob syntax and file name characters.
 */
function osPath(path: string): string {
  return /^file:\/\//i.test(path) ? path.slice("file://".length) : path;
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
