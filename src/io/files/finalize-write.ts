import { fileLineage } from "../../metrics/index.js";
import { fileSystemFor, type FileSystem } from "../filesystems/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
import { dirnameOf, joinPath } from "./file-paths.js";
import { shardNameMatcher } from "./shard-template.js";
import { successMarkerFile, writeSuccessMarker } from "./success-marker.js";
import { removeStaleTempDirectories } from "./temp-directory.js";

/** The files of one write: `${prefix}-SSSSS-of-NNNNN${suffix}` (prefix absolute). */
export interface WriteTarget {
  readonly prefix: string;
  readonly suffix: string;
}

/** A complete temporary file and the final name it gets. */
export interface ShardMove {
  readonly tempFile: string;
  readonly finalFile: string;
}

/**
 * Test hook, internal: with BEAM_TS_TEST_KILL_AT_FINALIZE_POINT=k in the environment, the
 * process SIGKILLs itself when a finalization reaches its k-th point (1-based; one point
 * after each step below), so test/io/write-kill.test.ts checks what a crash at each step
 * leaves behind. Unset, a point costs one comparison.
 */
function killPoints(): () => Promise<void> {
  const at = Number(process.env.BEAM_TS_TEST_KILL_AT_FINALIZE_POINT ?? "NaN");
  let reached = 0;
  return async () => {
    if (++reached !== at) return;
    process.kill(process.pid, "SIGKILL");
    // SIGKILL is delivered asynchronously: stop here until it lands.
    await new Promise<never>(() => undefined);
  };
}

/** @internal Test hooks of finalizeWrite. */
export interface FinalizeHooks {
  /**
   * Called at each point instead of the SIGKILL hook: a test throws from its k-th call to
   * stop a finalization there, in process, and inspects what a crash at that point leaves
   * (a file system whose state outlives the process, such as a test's in-memory one).
   */
  readonly point?: () => Promise<void>;
}

/**
 * Makes a write's complete temporary files its visible output, so that at every moment
 * (also after a crash at any point) the marked output is one whole run's:
 *
 * 1. remove the previous success marker: from here the old output is unmarked;
 * 2. remove the previous shards of this prefix and suffix (any shard count, files
 *    matching the shard template only), one by one;
 * 3. move each temporary file to its final name: a rename where the file system's renames
 *    are atomic (local files); on an object store (no atomic rename) a copy of the complete
 *    temporary object, which appears whole under its final name, the temporary one kept;
 * 4. write the new marker listing the final files (locally a pending file renamed into
 *    place; on an object store one upload, visible only when complete);
 * 5. remove this write's temporary directory (on an object store: the temporary objects,
 *    deleted only now, after the marker);
 * 6. remove stale temporary directories of earlier writes of the same files.
 *
 * Between 1 and 4 there is no marker, and the shard files present are a subset of one
 * run's (old ones during 2, new ones during 3), never a mix. Retrying after a failure
 * part-way is safe: a final file whose temporary file is gone was moved (or copied, and the
 * copies' temporary objects deleted after the marker) by an earlier attempt and is kept.
 *
 * @example await finalizeWrite({ prefix: "/out/counts", suffix: ".txt" }, tempDir, moves);
 */
export async function finalizeWrite(target: WriteTarget, tempDir: string, moves: readonly ShardMove[], hooks: FinalizeHooks = {}): Promise<void> {
  const { prefix, suffix } = target;
  // Lineage first, while the caller's DoFn is current (before any await).
  for (const m of moves) fileLineage("sinks", m.finalFile);
  const point = hooks.point ?? killPoints();
  const dir = dirnameOf(prefix);
  await point();
  const fs = await attempt(`find the file system of "${prefix}"`, () => fileSystemFor(prefix));
  await attempt(`create the output directory "${dir}"`, () => fs.mkdirs(dir));

  const marker = successMarkerFile(prefix, suffix);
  await attempt(`remove the previous success marker "${marker}"`, () => fs.delete([marker]));
  await point();

  const isShard = shardNameMatcher(prefix, suffix);
  const finals = new Map(moves.map((m) => [m.finalFile, m.tempFile]));
  const names = await attempt(`list the output directory "${dir}"`, () => fs.list(dir));
  for (const name of names.sort()) {
    if (!isShard(name)) continue;
    const file = joinPath(dir, name);
    const temp = finals.get(file);
    if (temp !== undefined && !(await exists(fs, temp))) continue; // moved by an earlier attempt
    await attempt(`remove the previous output file "${file}"`, () => fs.delete([file]));
    await point();
  }

  for (const m of moves) {
    await moveIntoPlace(fs, m);
    await point();
  }

  await attempt(`write the success marker "${marker}"`, async () => {
    await fs.mkdirs(tempDir); // a retry after step 5 finds it gone
    await writeSuccessMarker(prefix, suffix, tempDir, [...finals.keys()], point);
  });
  await point();

  // Housekeeping after the commit: the output is complete and marked, so a failure here
  // does not fail the job; whatever is left is stale for the next write of these files.
  await fs.deleteDirectory(tempDir).catch(() => undefined);
  await point();
  await removeStaleTempDirectories(prefix, suffix, tempDir, point).catch(() => undefined);
}

/**
 * Makes the complete temporary files of a write with a custom naming (no shard template,
 * so no way to tell which other files of the folder are its own) its visible output: each
 * moved to its final name as in `finalizeWrite` step 3 (an existing file of that name is
 * replaced; other files are never touched), then the temporary directory removed. No
 * success marker: without a template there is no name for one. Each file appears whole,
 * but a crash part-way leaves some files new and some old (or missing); retrying is safe.
 *
 * @example await finalizeNamedFiles(tempDir, [{ tempFile, finalFile: "/out/a/orders.csv" }]);
 */
export async function finalizeNamedFiles(tempDir: string, moves: readonly ShardMove[]): Promise<void> {
  for (const m of moves) fileLineage("sinks", m.finalFile);
  const fs = await attempt(`find the file system of "${tempDir}"`, () => fileSystemFor(tempDir));
  for (const dir of new Set(moves.map((m) => dirnameOf(m.finalFile)))) {
    await attempt(`create the output directory "${dir}"`, () => fs.mkdirs(dir));
  }
  for (const m of moves) await moveIntoPlace(fs, m);
  await fs.deleteDirectory(tempDir).catch(() => undefined);
}

async function attempt<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof FileIOError) throw err;
    throw new FileIOError(`Cannot ${what}: ${messageOf(err)}. Check the permissions of the output directory.`, { cause: err });
  }
}

/**
 * Puts a complete temporary file under its final name: an atomic rename, or on a file
 * system without one a copy (the temporary object stays until step 5, so a retry copies
 * again). A retried finalization finds files moved by an earlier attempt in place.
 */
async function moveIntoPlace(fs: FileSystem, { tempFile, finalFile }: ShardMove): Promise<void> {
  try {
    if (fs.atomicRename) {
      await fs.rename([{ from: tempFile, to: finalFile }]);
    } else if (await exists(fs, tempFile)) {
      await fs.copy([{ from: tempFile, to: finalFile }]);
    } else if (!(await exists(fs, finalFile))) {
      throw new Error(`the temporary file is gone and "${finalFile}" does not exist`);
    }
  } catch (err) {
    // A retry whose earlier attempt got there: the source is gone, the destination in place.
    if ((await exists(fs, finalFile)) && !(await exists(fs, tempFile))) return;
    throw new FileIOError(`Cannot move the written file "${tempFile}" to "${finalFile}": ${messageOf(err)}`, { cause: err });
  }
}

async function exists(fs: FileSystem, file: string): Promise<boolean> {
  try {
    return (await fs.metadata(file)) !== undefined;
  } catch {
    return false;
  }
}
