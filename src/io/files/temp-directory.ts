import { createHash, randomUUID } from "node:crypto";
import os from "node:os";
import { fileSystemFor, type FileSystem } from "../filesystems/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
import { basenameOf, dirnameOf, joinPath } from "./file-paths.js";
import { readSmallFile, writeSmallFile } from "./small-files.js";

/** Beam's name for the temporary directory of a write (Java's and Python's `.temp-beam`). */
export const TEMP_DIRECTORY_PREFIX = ".temp-beam-";

/** The file in a temporary directory naming the process that created it. */
const OWNER_FILE = "owner.json";

/**
 * Which prefix and suffix a temporary directory writes: 12 hex digits of a hash of the
 * prefix's base name and the suffix, so the next write of the same files finds its
 * predecessors' directories by name, and never touches those of other writes into the
 * same directory.
 */
function writeKey(prefix: string, suffix: string): string {
  return createHash("sha256").update(`${basenameOf(prefix)}\0${suffix}`).digest("hex").slice(0, 12);
}

/** `.temp-beam-<key>-<created, ms since the epoch>-<uuid>`: parsed back by `parseTempName`. */
const TEMP_NAME = /^\.temp-beam-([0-9a-f]{12})-(\d+)-[0-9a-f-]{36}$/;

function parseTempName(name: string): { key: string; created: number } | undefined {
  const m = TEMP_NAME.exec(name);
  return m === null ? undefined : { key: m[1]!, created: Number(m[2]) };
}

/**
 * Creates the temporary directory of one write of `prefix`/`suffix` next to its output
 * (same file system, so the final renames are atomic where the file system has atomic
 * renames), named `.temp-beam-<key>-<created>-<uuid>`: the key names the prefix and suffix,
 * `created` is the time in ms. The name is the directory's identity (unique by its uuid); an
 * `owner.json` inside records the creating process (pid, host) for `removeStaleTempDirectories`.
 * On an object store the directory is a key prefix: it exists from the moment `owner.json`
 * is uploaded.
 *
 * @example const tempDir = await createTempDirectory("/out/counts", ".txt");
 */
export async function createTempDirectory(prefix: string, suffix: string, now = Date.now()): Promise<string> {
  const dir = joinPath(dirnameOf(prefix), `${TEMP_DIRECTORY_PREFIX}${writeKey(prefix, suffix)}-${now}-${randomUUID()}`);
  try {
    const fs = await fileSystemFor(dir);
    await fs.mkdirs(dir);
    await writeSmallFile(fs, joinPath(dir, OWNER_FILE), `${JSON.stringify({ pid: process.pid, host: os.hostname() })}\n`);
  } catch (err) {
    throw new FileIOError(
      `Cannot create the temporary directory "${dir}" of the write to "${prefix}": ${messageOf(err)}. ` +
        `The output's directory must be writable.`,
      { cause: err },
    );
  }
  return dir;
}

/** True if `pid` names a live process (of any user) on this host. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function ownerOf(fs: FileSystem, dir: string): Promise<{ pid: number; host: string } | undefined> {
  try {
    const owner = JSON.parse((await readSmallFile(fs, joinPath(dir, OWNER_FILE))) ?? "") as { pid?: unknown; host?: unknown };
    return typeof owner.pid === "number" && typeof owner.host === "string" ? { pid: owner.pid, host: owner.host } : undefined;
  } catch {
    // Killed between mkdir and writing owner.json, or not ours to read: judged by age alone.
    return undefined;
  }
}

/**
 * Removes the temporary directories that earlier writes of the same prefix and suffix left
 * behind (a crash or kill before their finalization ended), calling `afterEach` after each.
 * A directory is stale when it was created before `ownTempDir` (by the time in its name)
 * and its creator is not a live process on this host other than this one (a job started
 * earlier and still writing keeps its directory; in this process an earlier job is over).
 * Directories of other prefixes, and those created after `ownTempDir`, are never touched.
 *
 * @example await removeStaleTempDirectories("/out/counts", ".txt", tempDir);
 */
export async function removeStaleTempDirectories(
  prefix: string,
  suffix: string,
  ownTempDir: string,
  afterEach: () => Promise<void> = async () => undefined,
): Promise<string[]> {
  const own = parseTempName(basenameOf(ownTempDir));
  if (own === undefined) return [];
  const key = writeKey(prefix, suffix);
  const parent = dirnameOf(ownTempDir);
  const fs = await fileSystemFor(parent);
  const removed: string[] = [];
  for (const listed of await fs.list(parent)) {
    const name = listed.replace(/\/$/, ""); // an object store may list a prefix with its "/"
    const other = parseTempName(name);
    if (other === undefined || other.key !== key || other.created >= own.created) continue;
    const dir = joinPath(parent, name);
    if (dir === ownTempDir) continue;
    const owner = await ownerOf(fs, dir);
    if (owner !== undefined && owner.host === os.hostname() && owner.pid !== process.pid && isAlive(owner.pid)) continue;
    await fs.deleteDirectory(dir);
    removed.push(dir);
    await afterEach();
  }
  return removed;
}

/**
 * The temporary directory of an unbounded (windowed) write of `prefix`/`suffix`:
 * `.temp-beam-<key>-streaming` next to the output. Unlike a bounded write's, its name is
 * the same in every run, because a job restored from a checkpoint must find the files its
 * predecessor pre-committed there (they are renamed into place by `recoverCommit`). Its
 * name does not match a bounded write's, so `removeStaleTempDirectories` never removes it.
 *
 * @example streamingTempDirectory("/out/counts", ".txt") // "/out/.temp-beam-3f2a…-streaming"
 */
export function streamingTempDirectory(prefix: string, suffix: string): string {
  return joinPath(dirnameOf(prefix), `${TEMP_DIRECTORY_PREFIX}${writeKey(prefix, suffix)}-streaming`);
}
