import { GlobalWindow, IntervalWindow, type BoundedWindow, type PaneInfo } from "../../model/index.js";
import { FileIOError } from "./file-io-error.js";
import { basenameOf } from "./file-paths.js";

/**
 * Beam's default shard template: `${prefix}-SSSSS-of-NNNNN${suffix}` (Java's
 * DefaultFilenamePolicy.DEFAULT_UNWINDOWED_SHARD_TEMPLATE "-SSSSS-of-NNNNN"). Numbers are
 * padded to five digits and grow past them (shard 123456 is "123456").
 *
 * @example shardFileName("out/counts", 0, 3, ".txt") // "out/counts-00000-of-00003.txt"
 */
export function shardFileName(prefix: string, index: number, count: number, suffix = ""): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}-${pad(index)}-of-${pad(count)}${suffix}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A test of file names (base names, in the prefix's directory) that `shardFileName` gives
 * for this prefix and suffix with any shard count: exactly the files a write of this prefix
 * owns and may replace. Other files of the directory (other prefixes or suffixes, the
 * success marker, temporary directories) never match.
 *
 * @example shardNameMatcher("/out/counts", ".txt")("counts-00001-of-00004.txt") // true
 */
export function shardNameMatcher(prefix: string, suffix: string): (baseName: string) => boolean {
  const re = new RegExp(`^${escapeRegExp(basenameOf(prefix))}-\\d{5,}-of-\\d{5,}${escapeRegExp(suffix)}$`);
  return (baseName) => re.test(baseName);
}

/**
 * Beam's default name of a windowed write's file (Java's FileIO.Write.defaultNaming):
 * `${prefix}-<window start>-<window end>-<pane index>-SSSSS-of-NNNNN${suffix}`, with the
 * window's bounds as ISO-8601 instants (`2024-01-01T00:00:00.000Z`), no window part in the
 * global window, and no pane part when the pane is the window's only firing (first and
 * last). Shard numbers are padded to at least five digits and to the width of the count.
 * The name depends only on window, pane, shard and count, so a pane written again after a
 * restore replaces its earlier file instead of adding one.
 *
 * @example
 * windowedShardFileName("out/counts", new IntervalWindow(0, 60_000), ON_TIME_AND_ONLY_FIRING, 1, 2, ".txt")
 * // "out/counts-1970-01-01T00:00:00.000Z-1970-01-01T00:01:00.000Z-00001-of-00002.txt"
 */
export function windowedShardFileName(
  prefix: string,
  window: BoundedWindow,
  pane: PaneInfo,
  index: number,
  count: number,
  suffix = "",
): string {
  let name = prefix;
  const sep = () => (name.length > 0 ? "-" : "");
  if (!(window instanceof GlobalWindow)) {
    if (!(window instanceof IntervalWindow)) {
      throw new FileIOError(
        `Windowed file names need interval windows (fixed, sliding, sessions) or the global window; got ${window.toString()}. ` +
          `Rewindow the input with windowInto before the write.`,
      );
    }
    name += `${sep()}${isoInstant(window.start)}-${isoInstant(window.end)}`;
  }
  if (!(pane.isFirst && pane.isLast)) name += `${sep()}${pane.index}`;
  const width = Math.max(5, String(count).length);
  const pad = (n: number) => String(n).padStart(width, "0");
  return `${name}${sep()}${pad(index)}-of-${pad(count)}${suffix}`;
}

/** Joda's Instant.toString, which Beam's names use: ISO-8601 in UTC with milliseconds. */
function isoInstant(t: number): string {
  return new Date(t).toISOString();
}
