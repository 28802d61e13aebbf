import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileLineage } from "../../metrics/index.js";
import type { ByteReader, ByteWriter, Coder, KV } from "../../model/index.js";
import type { TwoPhaseCommitSink, TwoPhaseWriteContext } from "../../transforms/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
import type { ShardSink, ShardedWriteSettings } from "./sharded-write.js";
import { windowedShardFileName } from "./shard-template.js";

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
 * shard (a GroupByKey's output, keyed by shard), written as one file.
 *
 * - write: the shard's elements go to `<tempDir>/<final base name>.<uuid>` (a new name per
 *   attempt), closed when complete; outputs the final name.
 * - preCommit: fsyncs each file and the temporary directory, so the files survive a crash.
 * - commit: renames each file to its final name (atomic, same file system; an existing
 *   file of the same window, pane and shard, written before a restore, is replaced) and
 *   fsyncs the output directory. Idempotent: a temporary file that is gone while its final
 *   file is present was moved by an earlier commit. Then removes the other attempts'
 *   temporary files of the same final name (attempts that failed or were replayed).
 * - abort: deletes the bundle's temporary files.
 */
export class PaneFileSink<T> implements TwoPhaseCommitSink<KV<number, Iterable<T>>, PaneFileTxn<T>, readonly PaneFileMove[], string> {
  readonly handleCoder = paneFileMovesCoder;
  private madeTempDir = false;

  constructor(
    private readonly settings: ShardedWriteSettings<T> & { readonly numShards: number },
    private readonly tempDir: string,
    readonly outputCoder: Coder<string>,
  ) {}

  async begin(): Promise<PaneFileTxn<T>> {
    if (!this.madeTempDir) {
      await attempt(`create the temporary directory "${this.tempDir}"`, () => mkdir(this.tempDir, { recursive: true }));
      this.madeTempDir = true;
    }
    return { done: [], writing: undefined };
  }

  async write(txn: PaneFileTxn<T>, shard: KV<number, Iterable<T>>, ctx: TwoPhaseWriteContext<string>): Promise<void> {
    const { prefix, suffix, numShards } = this.settings;
    const finalFile = windowedShardFileName(prefix, ctx.window, ctx.pane, shard.key, numShards, suffix);
    const tempFile = path.join(this.tempDir, `${path.basename(finalFile)}.${randomUUID()}`);
    const writer = await this.settings.openShard(tempFile);
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
    for (const m of txn.done) await attempt(`flush "${m.tempFile}" to disk`, () => syncFile(m.tempFile));
    if (txn.done.length > 0) await syncDirectory(this.tempDir);
    return txn.done;
  }

  async commit(moves: readonly PaneFileMove[]): Promise<void> {
    const dirs = new Set(moves.map((m) => path.dirname(m.finalFile)));
    for (const dir of dirs) await attempt(`create the output directory "${dir}"`, () => mkdir(dir, { recursive: true }));
    for (const m of moves) {
      await moveIntoPlace(m);
      await commitKillPoint();
    }
    for (const dir of dirs) await syncDirectory(dir);
    for (const m of moves) await this.removeOtherAttempts(m);
  }

  async abort(txn: PaneFileTxn<T>): Promise<void> {
    const writing = txn.writing;
    txn.writing = undefined;
    await writing?.abort();
    for (const m of txn.done) await rm(m.tempFile, { force: true }).catch(() => undefined);
  }

  /** At the end of the job: the temporary directory goes if nothing is left in it. */
  async teardown(): Promise<void> {
    await rmdir(this.tempDir).catch(() => undefined);
  }

  /** Temporary files of the same final name left by failed or replayed attempts: never committed now. */
  private async removeOtherAttempts(m: PaneFileMove): Promise<void> {
    const stem = `${path.basename(m.finalFile)}.`;
    const names = await readdir(this.tempDir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(stem) && path.join(this.tempDir, name) !== m.tempFile) {
        await rm(path.join(this.tempDir, name), { force: true }).catch(() => undefined);
      }
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

/** Renames atomically; a repeated commit finds the file already in place. */
async function moveIntoPlace({ tempFile, finalFile }: PaneFileMove): Promise<void> {
  try {
    await rename(tempFile, finalFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && (await exists(finalFile))) return;
    throw new FileIOError(
      `Cannot commit the written file "${tempFile}" as "${finalFile}": ${messageOf(err)}. ` +
        `If the temporary file is gone and the output file missing, something removed the write's temporary directory.`,
      { cause: err },
    );
  }
}

/** fsync of a file's data, so that a rename after a crash never shows an empty file. */
async function syncFile(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync of a directory's entries (new names); not possible everywhere, so best effort. */
async function syncDirectory(dir: string): Promise<void> {
  await syncFile(dir).catch(() => undefined);
}

async function attempt<R>(what: string, action: () => Promise<R>): Promise<R> {
  try {
    return await action();
  } catch (err) {
    throw new FileIOError(`Cannot ${what}: ${messageOf(err)}.`, { cause: err });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
