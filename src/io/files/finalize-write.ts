import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileLineage } from "../../metrics/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
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

/**
 * Makes a write's complete temporary files its visible output, so that at every moment
 * (also after a crash at any point) the marked output is one whole run's:
 *
 * 1. remove the previous success marker: from here the old output is unmarked;
 * 2. remove the previous shards of this prefix and suffix (any shard count, files
 *    matching the shard template only), one by one;
 * 3. rename each temporary file to its final name (atomic, same file system);
 * 4. write the new marker listing the final files (a pending file renamed into place);
 * 5. remove this write's temporary directory;
 * 6. remove stale temporary directories of earlier writes of the same files.
 *
 * Between 1 and 4 there is no marker, and the shard files present are a subset of one
 * run's (old ones during 2, new ones during 3), never a mix. Retrying after a failure
 * part-way is safe: a final file whose temporary file is gone was moved by an earlier
 * attempt and is kept.
 *
 * @example await finalizeWrite({ prefix: "/out/counts", suffix: ".txt" }, tempDir, moves);
 */
export async function finalizeWrite(target: WriteTarget, tempDir: string, moves: readonly ShardMove[]): Promise<void> {
  const { prefix, suffix } = target;
  // Lineage first, while the caller's DoFn is current (before any await).
  for (const m of moves) fileLineage("sinks", m.finalFile);
  const point = killPoints();
  const dir = path.dirname(prefix);
  await point();
  await attempt(`create the output directory "${dir}"`, () => mkdir(dir, { recursive: true }));

  const marker = successMarkerFile(prefix, suffix);
  await attempt(`remove the previous success marker "${marker}"`, () => rm(marker, { force: true }));
  await point();

  const isShard = shardNameMatcher(prefix, suffix);
  const finals = new Map(moves.map((m) => [m.finalFile, m.tempFile]));
  for (const name of (await readdir(dir)).sort()) {
    if (!isShard(name)) continue;
    const file = path.join(dir, name);
    const temp = finals.get(file);
    if (temp !== undefined && !(await exists(temp))) continue; // moved by an earlier attempt
    await attempt(`remove the previous output file "${file}"`, () => rm(file, { force: true }));
    await point();
  }

  for (const m of moves) {
    await moveIntoPlace(m);
    await point();
  }

  await attempt(`write the success marker "${marker}"`, async () => {
    await mkdir(tempDir, { recursive: true }); // a retry after step 5 finds it gone
    await writeSuccessMarker(prefix, suffix, tempDir, [...finals.keys()], point);
  });
  await point();

  // Housekeeping after the commit: the output is complete and marked, so a failure here
  // does not fail the job; whatever is left is stale for the next write of these files.
  await rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
  await point();
  await removeStaleTempDirectories(prefix, suffix, tempDir, point).catch(() => undefined);
}

async function attempt<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof FileIOError) throw err;
    throw new FileIOError(`Cannot ${what}: ${messageOf(err)}. Check the permissions of the output directory.`, { cause: err });
  }
}

/** Renames atomically; a retried finalization finds already-moved files in place. */
async function moveIntoPlace({ tempFile, finalFile }: ShardMove): Promise<void> {
  try {
    await rename(tempFile, finalFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && (await exists(finalFile))) return;
    throw new FileIOError(`Cannot move the written file "${tempFile}" to "${finalFile}": ${messageOf(err)}`, { cause: err });
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
