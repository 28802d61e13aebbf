import path from "node:path";

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
  const re = new RegExp(`^${escapeRegExp(path.basename(prefix))}-\\d{5,}-of-\\d{5,}${escapeRegExp(suffix)}$`);
  return (baseName) => re.test(baseName);
}
