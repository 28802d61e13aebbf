import { fileSystemFor } from "../filesystems/index.js";
import { basenameOf, dirnameOf, joinPath } from "./file-paths.js";
import { readSmallFile, writeSmallFile } from "./small-files.js";

/** The first field of every marker: what readers check before skipping a file as a marker. */
const FORMAT = "beam-ts/write-success/v1";

/**
 * What a success marker holds: the files of the complete write it marks (base names, in
 * shard order, in the marker's directory), and when it was written.
 */
export interface SuccessManifest {
  readonly format: typeof FORMAT;
  readonly files: readonly string[];
  readonly writtenAt: string;
}

/**
 * The success marker of the write of `prefix`/`suffix`: `_${basename}${suffix}_SUCCESS` in
 * the prefix's directory. Hadoop and Spark write one `_SUCCESS` per output directory; a
 * Beam write is a prefix, and several writes share a directory, so the name carries the
 * prefix and suffix. The leading `_` makes Hadoop, Spark and Hive readers skip it (their
 * hidden-file rule), and keeps it out of the usual `prefix*` and `*${suffix}` globs.
 *
 * @example successMarkerFile("/out/counts", ".txt") // "/out/_counts.txt_SUCCESS"
 */
export function successMarkerFile(prefix: string, suffix: string): string {
  return joinPath(dirnameOf(prefix), `_${basenameOf(prefix)}${suffix}_SUCCESS`);
}

/**
 * Writes the marker listing `finalFiles` atomically, so a reader sees no marker or a whole
 * one. Where renames are atomic (local files) it is written to `${tempDir}/marker.pending`,
 * then renamed over the marker's name (`afterPending` runs in between); on an object store
 * it is uploaded under its name directly: an object appears only when its upload completes,
 * and a rename there would be a copy, no more atomic than the upload.
 *
 * @example await writeSuccessMarker("/out/counts", ".txt", tempDir, finals, () => point());
 */
export async function writeSuccessMarker(
  prefix: string,
  suffix: string,
  tempDir: string,
  finalFiles: readonly string[],
  afterPending: () => Promise<void> = async () => undefined,
): Promise<void> {
  const manifest: SuccessManifest = { format: FORMAT, files: finalFiles.map((f) => basenameOf(f)), writtenAt: new Date().toISOString() };
  const text = `${JSON.stringify(manifest, null, 1)}\n`;
  const marker = successMarkerFile(prefix, suffix);
  const fs = await fileSystemFor(marker);
  if (!fs.atomicRename) {
    await writeSmallFile(fs, marker, text, { durable: true });
    return;
  }
  const pending = joinPath(tempDir, "marker.pending");
  await writeSmallFile(fs, pending, text);
  await afterPending();
  await fs.rename([{ from: pending, to: marker }]);
}

/**
 * The files a success marker lists (absolute paths), or undefined if `file` is not a
 * marker (missing, or not in the marker's format).
 *
 * @example const files = await readSuccessMarker(successMarkerFile("/out/counts", ".txt"));
 */
export async function readSuccessMarker(file: string): Promise<string[] | undefined> {
  let manifest: Partial<SuccessManifest>;
  try {
    manifest = JSON.parse((await readSmallFile(await fileSystemFor(file), file)) ?? "") as Partial<SuccessManifest>;
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.files)) return undefined;
  return manifest.files.map((f) => joinPath(dirnameOf(file), f));
}

/** Names a marker can have: `_..._SUCCESS`. */
const MARKER_NAME = /^_.+_SUCCESS$/;

/**
 * True if `file` is a success marker: its name has the marker's form and its content starts
 * with the marker's format field (so a user's own `_notes_SUCCESS` file is not one). Reads
 * at most 64 bytes.
 *
 * @example if (await isSuccessMarker(file)) continue;
 */
export async function isSuccessMarker(file: string): Promise<boolean> {
  if (!MARKER_NAME.test(basenameOf(file))) return false;
  let handle;
  try {
    handle = await (await fileSystemFor(file)).open(file);
    const head = Buffer.alloc(64);
    const bytesRead = await handle.read(head, 0, head.length, 0);
    return new RegExp(`^\\{\\s*"format"\\s*:\\s*"${FORMAT.replace(/\//g, "\\/")}"`).test(head.subarray(0, bytesRead).toString("utf8"));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
