import path from "node:path";
import { schemeOf } from "../filesystems/index.js";

/**
 * Path arithmetic of output files on any file system, synchronous because names are
 * computed at construction and in DoFns before a file system is at hand: a local path
 * (or `file:///abs`) uses the OS's rules (node:path); any `<scheme>://bucket/key` path
 * uses `/` and never touches its `scheme://bucket` head, so `s3://b/out` keeps its double
 * slash (node:path would fold it into `s3:/b/out`, a local folder named "s3:").
 */

/** True for a path of a scheme other than the local one (`s3://…`, `gs://…`, `mem://…`). */
function isUri(p: string): boolean {
  return schemeOf(p) !== "file";
}

/** The length of `scheme://bucket/` (or of the whole path when it has no key). */
function headLength(p: string): number {
  const afterScheme = p.indexOf("://") + 3;
  const slash = p.indexOf("/", afterScheme);
  return slash < 0 ? p.length : slash + 1;
}

/** The OS path of a local path: `file://` cut (not URL-decoded, as LocalFileSystem reads it). */
function osPath(p: string): string {
  return /^file:\/\//i.test(p) ? p.slice("file://".length) : p;
}

/**
 * The absolute form of an output path: a local one resolved against the working
 * directory (so workers started elsewhere write to the same place), an object-store path
 * as written.
 *
 * @example resolveOutputPath("out/counts") // "/home/me/job/out/counts"
 * @example resolveOutputPath("s3://bucket/out/counts") // "s3://bucket/out/counts"
 */
export function resolveOutputPath(p: string): string {
  return isUri(p) ? p : path.resolve(osPath(p));
}

/**
 * The directory of a path; an object key's directory is its prefix up to the last `/`
 * (the bucket's root `scheme://bucket/` for a key without one).
 *
 * @example dirnameOf("gs://b/out/counts") // "gs://b/out"
 */
export function dirnameOf(p: string): string {
  if (!isUri(p)) return path.dirname(osPath(p));
  const head = headLength(p);
  const trimmed = p.length > head && p.endsWith("/") ? p.slice(0, -1) : p;
  const slash = trimmed.lastIndexOf("/");
  return slash < head ? p.slice(0, head) : trimmed.slice(0, slash);
}

/**
 * The last segment of a path.
 *
 * @example basenameOf("s3://b/out/counts-00000-of-00001.txt") // "counts-00000-of-00001.txt"
 */
export function basenameOf(p: string): string {
  if (!isUri(p)) return path.basename(osPath(p));
  const trimmed = p.endsWith("/") ? p.slice(0, -1) : p;
  return trimmed.slice(Math.max(trimmed.lastIndexOf("/") + 1, Math.min(headLength(p), trimmed.length)));
}

/**
 * A directory joined with names, never doubling a separator.
 *
 * @example joinPath("s3://b/out", ".temp-beam-x", "owner.json") // "s3://b/out/.temp-beam-x/owner.json"
 */
export function joinPath(dir: string, ...names: string[]): string {
  if (!isUri(dir)) return path.join(osPath(dir), ...names);
  let out = dir;
  for (const name of names) {
    if (name === "") continue;
    out = `${out.endsWith("/") ? out : `${out}/`}${name.replace(/^\/+/, "")}`;
  }
  return out;
}

/**
 * The segments of a path (for "is any directory of it a `.temp-beam-*` one"): split on `/`
 * for object stores, on the OS separator locally.
 *
 * @example pathSegments("s3://b/out/.temp-beam-x/f") // ["s3:", "", "b", "out", ".temp-beam-x", "f"]
 */
export function pathSegments(p: string): string[] {
  return isUri(p) ? p.split("/") : osPath(p).split(path.sep);
}
