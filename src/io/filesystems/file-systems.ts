import { Secret } from "../../model/index.js";
import { onPipelineRun } from "../../pipeline/index.js";
import { FileIOError } from "../files/file-io-error.js";
import type { FileSystem } from "./file-system.js";

/**
 * The file system registry (Beam's `FileSystems`): picks the implementation for a path by
 * its scheme. `file` (and any path without `<scheme>://`) is the local file system; `s3`
 * and `gs` load their client libraries (optional peers) only when first used. A user may
 * register more schemes. A path whose scheme nobody registered fails at construction, so
 * `--output=hdfs://x/y` is refused before the job starts instead of writing a local folder
 * named `hdfs:`.
 */

/** Creates a scheme's file system when first used (may import its client library lazily). */
export type FileSystemFactory = () => FileSystem | Promise<FileSystem>;

const factories = new Map<string, FileSystemFactory>();
const instances = new Map<string, Promise<FileSystem>>();

/** The scheme of a path: `s3` for `s3://b/k`, `file` for a path without one (or `file://`). */
export function schemeOf(path: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(path);
  return m === null ? "file" : m[1]!.toLowerCase();
}

/**
 * Registers the file system of a scheme (replacing a registered one). Built-ins: file, s3, gs.
 *
 * @example registerFileSystem("mem", () => new MemoryFileSystem())
 */
export function registerFileSystem(scheme: string, factory: FileSystemFactory): void {
  factories.set(scheme.toLowerCase(), factory);
  instances.delete(scheme.toLowerCase());
}

/** The schemes with a registered file system, sorted. */
export function registeredSchemes(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Fails unless a file system serves the path's scheme. Readers and writers call it at
 * construction with their transform's name, so a typo'd or unsupported scheme never
 * reaches a running job.
 */
export function checkFileSystemPath(path: string, where: string): void {
  const scheme = schemeOf(path);
  if (factories.has(scheme)) return;
  throw new FileIOError(
    `${where}: no file system serves the scheme "${scheme}" of "${path}". ` +
      `Known schemes: ${registeredSchemes().join(", ")}. Use one of them, or register one with registerFileSystem("${scheme}", ...).`,
  );
}

/** The file system serving a path, created on first use. */
export function fileSystemFor(path: string): Promise<FileSystem> {
  const scheme = schemeOf(path);
  let fs = instances.get(scheme);
  if (fs === undefined) {
    const factory = factories.get(scheme);
    if (factory === undefined) {
      checkFileSystemPath(path, "FileSystems");
      throw new Error("unreachable");
    }
    fs = Promise.resolve().then(factory);
    // A factory that fails (a missing optional peer) fails every caller with its message and is retried next time.
    fs.catch(() => instances.delete(scheme));
    instances.set(scheme, fs);
  }
  return fs;
}

/** Pipeline options as file systems read them (`--s3Region`, `--gcsEndpoint`, ...); secrets stay `Secret`s. */
export type FileSystemOptions = Readonly<Record<string, unknown>>;

let defaultOptions: FileSystemOptions = {};

/**
 * Sets the pipeline options that file systems created from now on read their configuration
 * from (Beam's `FileSystems.setDefaultPipelineOptions`), and drops the file systems created
 * with other options, so the next `fileSystemFor` builds them anew. Every process that runs a
 * pipeline calls it when the pipeline runs: embedded worker threads with the submitter's
 * options, SDK harness workers with their rebuilt pipeline's (parsed from the submitter's
 * arguments). Call it yourself to use a file system outside a pipeline.
 *
 * @example setDefaultFileSystemOptions({ s3Endpoint: "http://127.0.0.1:9000", s3ForcePathStyle: true })
 */
export function setDefaultFileSystemOptions(options: FileSystemOptions): void {
  if (sameOptions(options, defaultOptions)) return;
  defaultOptions = options;
  // Local files read no options; object stores' clients are rebuilt with the new ones.
  for (const scheme of [...instances.keys()]) if (scheme !== "file") instances.delete(scheme);
}

// Beam's FileSystems.setDefaultPipelineOptions at each worker's start: every process that runs
// (or, as a worker, rebuilds) a pipeline hands its options to the file systems. The runners
// cannot import io (tools/eslint-layers.js), so the pipeline layer's run listener is the seam.
onPipelineRun((options) => setDefaultFileSystemOptions(options));

/** The options set by `setDefaultFileSystemOptions` ({} until then); file system factories read them. */
export function defaultFileSystemOptions(): FileSystemOptions {
  return defaultOptions;
}

/** Equal option records, Secrets compared by their revealed value (never printed). */
function sameOptions(a: FileSystemOptions, b: FileSystemOptions): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => {
    const x = a[k];
    const y = b[k];
    if (Secret.isSecret(x) && Secret.isSecret(y)) return x.reveal() === y.reveal();
    return x === y;
  });
}
