import type { BoundedWindow, PaneInfo } from "../../model/index.js";
import { windowedShardFileName } from "./shard-template.js";

/** What a file's name may depend on (the arguments of Beam Java's FileNaming.getFilename, without compression). */
export interface ShardName {
  readonly window: BoundedWindow;
  readonly pane: PaneInfo;
  /** 0-based index of the shard among the pane's `numShards`. */
  readonly shardIndex: number;
  readonly numShards: number;
}

/**
 * Beam's FileIO.Write.FileNaming: the name of one shard file, a path relative to the
 * write's `to` directory (it may contain `/` to put files in sub-folders; never `..`).
 * It must give a different name for every window, pane and shard (as Beam requires), and
 * the same name when called again with the same arguments, so that a pane written again
 * after a restore replaces its file.
 *
 * A naming made by `defaultNaming` also carries its `template` (prefix and suffix), which
 * tells a bounded write which files of the folder are its own: those it replaces, and the
 * success marker it writes. A naming without a template only replaces files of the names
 * it gives.
 *
 * @example const naming: FileNaming = ({ shardIndex, numShards }) => `orders-${shardIndex}-of-${numShards}.csv`;
 */
export interface FileNaming {
  (shard: ShardName): string;
  /** Set by `defaultNaming`: the shard template `${prefix}-SSSSS-of-NNNNN${suffix}` it follows. */
  readonly template?: { readonly prefix: string; readonly suffix: string };
}

/**
 * Beam's FileIO.Write.defaultNaming(prefix, suffix):
 * `${prefix}-<window start>-<window end>-<pane index>-SSSSS-of-NNNNN${suffix}`, with no
 * window part in the global window and no pane part when the pane is its window's only
 * firing (so a bounded write's files are `${prefix}-00000-of-00002${suffix}`). `prefix` is
 * relative to the write's `to` and may name a sub-folder (`"customer-a/part"`).
 *
 * @example defaultNaming("part", ".csv")({ window: GLOBAL_WINDOW, pane: ON_TIME_AND_ONLY_FIRING, shardIndex: 1, numShards: 2 })
 * // "part-00001-of-00002.csv"
 */
export function defaultNaming(prefix: string, suffix = ""): FileNaming {
  const naming = (shard: ShardName): string =>
    windowedShardFileName(prefix, shard.window, shard.pane, shard.shardIndex, shard.numShards, suffix);
  return Object.assign(naming, { template: { prefix, suffix } });
}

/**
 * Why `name` cannot be a file name relative to the write's directory, or undefined if it
 * can: it must be a non-empty relative path of `/`-separated segments, none empty, `.` or
 * `..` (which could leave the directory), none a write's temporary directory, and no
 * scheme, drive letter, backslash or NUL.
 *
 * @example unsafeRelativeName("../etc/passwd") // "it has a \"..\" segment, which would leave the output directory"
 */
export function unsafeRelativeName(name: unknown): string | undefined {
  if (typeof name !== "string") return `it is not a string but ${name === null ? "null" : typeof name}`;
  if (name.length === 0) return "it is empty";
  if (name.includes("\0")) return "it contains a NUL character";
  if (name.includes("\\")) return "it contains a backslash (use / between folders)";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || name.includes("://")) return "it is absolute (names are relative to the write's `to`)";
  for (const segment of name.split("/")) {
    if (segment === "..") return `it has a ".." segment, which would leave the output directory`;
    if (segment === "." || segment === "") return `it has an empty or "." segment`;
    if (segment.startsWith(".temp-beam-")) return "it names a write's temporary directory (.temp-beam-*)";
  }
  return undefined;
}
