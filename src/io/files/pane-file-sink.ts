import { createHash, randomUUID } from "node:crypto";
// Only for what exists on local disks alone: fsync of a directory and rmdir-if-empty.
import { open, rmdir } from "node:fs/promises";
import { fileLineage } from "../../metrics/index.js";
import type { BoundedWindow, ByteReader, ByteWriter, Coder, KV, PaneInfo } from "../../model/index.js";
import type { TwoPhaseCommitSink, TwoPhaseWriteContext } from "../../transforms/index.js";
import { fileSystemFor, type CreateOptions, type FileSystem } from "../filesystems/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
import { basenameOf, dirnameOf, joinPath } from "./file-paths.js";
import type { ShardSink } from "./sharded-write.js";

/** How the files of one pane's shard key (a destination and shard, or a shard) are opened and named. */
export interface PaneFiles<K, T> {
  /** Opens a new temporary file for the key's elements, passing `options` (`durable`) to the file system. */
  readonly openShard: (key: K, file: string, options: CreateOptions) => Promise<ShardSink<T>>;
  /** The final name of the key's file in this window and pane: the same whenever called with the same arguments. */
  readonly finalFile: (key: K, window: BoundedWindow, pane: PaneInfo) => string;
}

/**
 * The stem of a final file's temporary files: its base name and a hash of its full path, so
 * that files of the same base name in two destinations' folders never take each other's
 * temporary files for earlier attempts of their own.
 */
function tempStem(finalFile: string): string {
  return `${basenameOf(finalFile)}.${createHash("sha256").update(finalFile).digest("hex").slice(0, 12)}.`;
}

/** One pane's shard: its complete temporary file and the final name it gets on commit. */
export interface PaneFileMove {
  readonly tempFile: string;
  readonly finalFile: string;
}

/** The files one bundle writes: those complete, and the one being written. */
export interface PaneFileTxn<T> {
  readonly done: PaneFileMove[];
  writing: ShardSink<T> | undefined;
}

/**
 * Coder of a pre-committed bundle's files, stored in checkpoints (version 1). Layout:
 * varint count, then per file the temporary path and the final path, each as a varint
 * byte length and UTF-8 bytes. Self-delimiting, so the same in the nested context.
 */
class PaneFileMovesCoder implements Coder<readonly PaneFileMove[]> {
  readonly urn = "beam-ts:coder:pane_file_moves:v1";
  readonly components = [];
  readonly deterministic = true;
  encode(moves: readonly PaneFileMove[], out: ByteWriter): void {
    out.writeVarInt(moves.length);
    for (const m of moves) {
      out.writeUtf8(m.tempFile, true);
      out.writeUtf8(m.finalFile, true);
    }
  }
  decode(input: ByteReader): readonly PaneFileMove[] {
    const moves: PaneFileMove[] = [];
    for (let n = input.readVarInt(); n > 0; n--) {
      const tempFile = input.readUtf8(input.readVarInt());
      moves.push({ tempFile, finalFile: input.readUtf8(input.readVarInt()) });
    }
    return moves;
  }
  toString(): string {
    return "pane_file_moves";
  }
}

export const paneFileMovesCoder: Coder<readonly PaneFileMove[]> = new PaneFileMovesCoder();

/**
 * The two-phase commit sink of unbounded file writes: each element is one fired pane's
 * shard (a GroupByKey's output, keyed by destination and shard), written as one file named
 * by `files.finalFile`.
 *
 * - write: the shard's elements go to `<tempDir>/<final base name>.<hash>.<uuid>` (a new name per
 *   attempt), created `durable` (fsynced when closed locally; an object store's upload is
 *   durable when it completes), closed when complete; outputs the final name.
 * - preCommit: locally fsyncs the temporary directory too, so the files' names survive a
 *   crash; the files themselves are durable since they were closed.
 * - commit: moves each file to its final name (an existing file of the same window, pane
 *   and shard, written before a restore, is replaced): an atomic rename locally, then an
 *   fsync of the output directory; on an object store (no atomic rename) a copy, which
 *   appears whole, then the delete of the temporary object. Idempotent: a temporary file
 *   that is gone while its final file is present was moved by an earlier commit, and one
 *   still present after its copy is copied again (the same bytes). Then removes the other
 *   attempts' temporary files of the same final name (attempts that failed or were replayed).
 * - abort: deletes the bundle's temporary files.
 */
export class PaneFileSink<K, T> implements TwoPhaseCommitSink<KV<K, Iterable<T>>, PaneFileTxn<T>, readonly PaneFileMove[], string> {
  readonly handleCoder = paneFileMovesCoder;
  private madeTempDir = false;

  constructor(
    private readonly files: PaneFiles<K, T>,
    private readonly tempDir: string,
    readonly outputCoder: Coder<string>,
  ) {}

  private fileSystem(): Promise<FileSystem> {
    return attempt(`find the file system of "${this.tempDir}"`, () => fileSystemFor(this.tempDir));
  }

  async begin(): Promise<PaneFileTxn<T>> {
    if (!this.madeTempDir) {
      const fs = await this.fileSystem();
      await attempt(`create the temporary directory "${this.tempDir}"`, () => fs.mkdirs(this.tempDir));
      this.madeTempDir = true;
    }
    return { done: [], writing: undefined };
  }

  async write(txn: PaneFileTxn<T>, shard: KV<K, Iterable<T>>, ctx: TwoPhaseWriteContext<string>): Promise<void> {
    const finalFile = this.files.finalFile(shard.key, ctx.window, ctx.pane);
    const tempFile = joinPath(this.tempDir, `${tempStem(finalFile)}${randomUUID()}`);
    const writer = await this.files.openShard(shard.key, tempFile, { durable: true });
    txn.writing = writer;
    for (const element of shard.value) {
      const wait = writer.write(element);
      if (wait) await wait;
    }
    await writer.close();
    txn.writing = undefined;
    txn.done.push({ tempFile, finalFile });
    // The final name, as the non-windowed write reports each file (write runs inside the DoFn's process).
    fileLineage("sinks", finalFile);
    ctx.output(finalFile);
  }

  async preCommit(txn: PaneFileTxn<T>): Promise<readonly PaneFileMove[]> {
    // The files were created durable (fsynced on close); their directory entries are a local concept.
    if (txn.done.length > 0 && (await this.fileSystem()).scheme === "file") await syncDirectory(this.tempDir);
    return txn.done;
  }

  async commit(moves: readonly PaneFileMove[]): Promise<void> {
    const fs = await this.fileSystem();
    const dirs = new Set(moves.map((m) => dirnameOf(m.finalFile)));
    for (const dir of dirs) await attempt(`create the output directory "${dir}"`, () => fs.mkdirs(dir));
    for (const m of moves) {
      await moveIntoPlace(fs, m);
      await commitKillPoint();
    }
    if (fs.scheme === "file") for (const dir of dirs) await syncDirectory(dir);
    for (const m of moves) await this.removeOtherAttempts(fs, m);
  }

  async abort(txn: PaneFileTxn<T>): Promise<void> {
    const writing = txn.writing;
    txn.writing = undefined;
    await writing?.abort();
    if (txn.done.length === 0) return;
    const fs = await this.fileSystem();
    await fs.delete(txn.done.map((m) => m.tempFile)).catch(() => undefined);
  }

  /** At the end of the job: the temporary directory goes if nothing is left in it. */
  async teardown(): Promise<void> {
    const fs = await this.fileSystem().catch(() => undefined);
    // Only a local directory outlives its last file; rmdir removes it only if empty, in one
    // step (a list-then-delete could race a restored job's new files). An object store's
    // directory is a key prefix, gone with its last object.
    if (fs?.scheme === "file") await rmdir(this.tempDir).catch(() => undefined);
  }

  /** Temporary files of the same final name left by failed or replayed attempts: never committed now. */
  private async removeOtherAttempts(fs: FileSystem, m: PaneFileMove): Promise<void> {
    const stem = tempStem(m.finalFile);
    const names = await fs.list(this.tempDir).catch(() => [] as string[]);
    for (const name of names) {
      const file = joinPath(this.tempDir, name);
      if (name.startsWith(stem) && file !== m.tempFile) await fs.delete([file]).catch(() => undefined);
    }
  }
}

/**
 * Test hook, internal: with BEAM_TS_TEST_KILL_AT_PANE_COMMIT=k in the environment, the
 * process SIGKILLs itself after the k-th rename of its pane commits (1-based, counted over
 * the process), so test/checkpoint/failure-injection.test.ts checks that a restore completes a
 * commit cut short. Unset, a point costs one comparison.
 */
const killAt = Number(process.env.BEAM_TS_TEST_KILL_AT_PANE_COMMIT ?? "NaN");
let renames = 0;
async function commitKillPoint(): Promise<void> {
  if (++renames !== killAt) return;
  process.kill(process.pid, "SIGKILL");
  // SIGKILL is delivered asynchronously: stop here until it lands.
  await new Promise<never>(() => undefined);
}

/**
 * Renames atomically, or on a file system without atomic renames copies then deletes the
 * temporary file; a repeated commit finds the file already in place.
 */
async function moveIntoPlace(fs: FileSystem, { tempFile, finalFile }: PaneFileMove): Promise<void> {
  try {
    if (fs.atomicRename) {
      await fs.rename([{ from: tempFile, to: finalFile }]);
    } else if (await exists(fs, tempFile)) {
      await fs.copy([{ from: tempFile, to: finalFile }]);
      await fs.delete([tempFile]);
    } else if (!(await exists(fs, finalFile))) {
      throw new Error("no such file");
    }
  } catch (err) {
    if ((await exists(fs, finalFile)) && !(await exists(fs, tempFile))) return;
    throw new FileIOError(
      `Cannot commit the written file "${tempFile}" as "${finalFile}": ${messageOf(err)}. ` +
        `If the temporary file is gone and the output file missing, something removed the write's temporary directory.`,
      { cause: err },
    );
  }
}

/**
 * fsync of a local directory's entries (new names); not possible everywhere, so best effort.
 * A local-only concept: the FileSystem contract has no directory entries to flush.
 */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot open or fsync a directory.
  }
}

async function attempt<R>(what: string, action: () => Promise<R>): Promise<R> {
  try {
    return await action();
  } catch (err) {
    throw new FileIOError(`Cannot ${what}: ${messageOf(err)}.`, { cause: err });
  }
}

async function exists(fs: FileSystem, file: string): Promise<boolean> {
  try {
    return (await fs.metadata(file)) !== undefined;
  } catch {
    return false;
  }
}
