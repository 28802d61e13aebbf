import { FileIOError } from "../files/file-io-error.js";

/**
 * Paths of object stores: `<scheme>://<bucket>/<key>`. A key is any text after the bucket's
 * `/` (it may be empty: the bucket's root); "directories" are key prefixes ending in `/`.
 */

/** A parsed object-store path. */
export interface ObjectPath {
  readonly scheme: string;
  readonly bucket: string;
  readonly key: string;
}

/**
 * Splits `s3://bucket/a/b.txt` into scheme, bucket and key; fails naming the path when it
 * is not of the scheme or has no bucket.
 *
 * @example parseObjectPath("gs://b/x/y.csv", "gs", "GcsFileSystem.open") // { scheme: "gs", bucket: "b", key: "x/y.csv" }
 */
export function parseObjectPath(path: string, scheme: string, where: string): ObjectPath {
  const head = `${scheme}://`;
  if (!path.toLowerCase().startsWith(head)) {
    throw new FileIOError(`${where}: "${path}" is not a ${scheme}:// path. Write ${head}<bucket>/<key>.`, { retryable: false });
  }
  const rest = path.slice(head.length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === "") {
    throw new FileIOError(`${where}: "${path}" names no bucket. Write ${head}<bucket>/<key>.`, { retryable: false });
  }
  return { scheme, bucket, key: slash < 0 ? "" : rest.slice(slash + 1) };
}

/**
 * The path of a key in a bucket.
 *
 * @example objectPathOf("s3", "b", "k/x.txt") // "s3://b/k/x.txt"
 */
export function objectPathOf(scheme: string, bucket: string, key: string): string {
  return `${scheme}://${bucket}/${key}`;
}

/**
 * A directory's key prefix: its key with one trailing `/` (empty for the bucket's root).
 *
 * @example directoryPrefix("a/b") // "a/b/"
 */
export function directoryPrefix(key: string): string {
  return key === "" || key.endsWith("/") ? key : `${key}/`;
}

/**
 * Joins a directory path and names with `/`, never doubling a separator.
 *
 * @example joinObjectPath("s3://b/dir/", "x", "y.txt") // "s3://b/dir/x/y.txt"
 */
export function joinObjectPath(dir: string, ...names: string[]): string {
  let out = dir;
  for (const name of names) {
    if (name === "") continue;
    out = out.endsWith("/") ? out + name.replace(/^\/+/, "") : `${out}/${name.replace(/^\/+/, "")}`;
  }
  return out;
}

/**
 * The directory part of an object path, keeping scheme and bucket (the bucket's root for a
 * key without `/`).
 *
 * @example objectDirname("gs://b/a/x.txt") // "gs://b/a"
 */
export function objectDirname(path: string): string {
  const schemeEnd = path.indexOf("://");
  const bucketEnd = schemeEnd < 0 ? -1 : path.indexOf("/", schemeEnd + 3);
  if (bucketEnd < 0) return path;
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  const slash = trimmed.lastIndexOf("/");
  return slash <= bucketEnd ? path.slice(0, bucketEnd + 1) : trimmed.slice(0, slash);
}

/**
 * The last segment of an object path.
 *
 * @example objectBasename("s3://b/a/x.txt") // "x.txt"
 */
export function objectBasename(path: string): string {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
