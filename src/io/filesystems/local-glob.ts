import { stat } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";
import { globMatcher } from "./glob-matcher.js";

/** True if a path segment has glob syntax: `*`, `?`, `[` or `{`. */
export function hasWildcard(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

/**
 * Splits a pattern into the directory to walk from (its segments before the first one with
 * glob syntax, taken literally) and the glob after it (undefined for a literal path).
 */
export function splitGlob(pattern: string): { base: string; rest: string | undefined } {
  const segments = pattern.split("/");
  const first = segments.findIndex(hasWildcard);
  if (first < 0) return { base: pattern, rest: undefined };
  const baseSegments = segments.slice(0, first);
  const base = baseSegments.length === 0 ? "." : baseSegments.join("/") || "/";
  return { base, rest: segments.slice(first).join("/") };
}

/**
 * Beam's glob syntax (Java's `glob:` PathMatcher: `*`, `?`, `**`, `[abc]`, `[!abc]`, `{a,b}`,
 * `\` escaping) in tinyglobby's dialect, which also reads `(...)` as extglob groups and a
 * leading `!` as a negation: those stay literal, so `+(1).csv` names a file.
 */
function toLibraryGlob(rest: string): string {
  let out = rest.startsWith("!") ? "\\" : "";
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === "\\") out += rest.slice(i, ++i + 1); // an escape and the character it escapes
    else out += c === "(" || c === ")" || c === "|" ? `\\${c}` : c;
  }
  return out;
}

/**
 * The files matching a glob pattern, as absolute paths in sorted order. `*` and `?` match
 * within one path segment (dot files too), `**` any number of segments (none included),
 * `[a-c]` / `[!a-c]` one character of (not of) a class, `{a,b}` either alternative (also
 * across segments), `\` escapes the next character. A path without glob syntax matches
 * itself if it is a file. Otherwise the directory named by the segments before the first
 * one with glob syntax is walked by tinyglobby (a missing one matches nothing; unreadable
 * directories are skipped). Links are followed, as Beam Java's local file system does; a
 * link cycle is walked around once, so its files are listed under both paths. Directories
 * never match.
 *
 * @example await expandGlob("data/{2024,2025}/*.csv")
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const { base, rest } = splitGlob(pattern);
  if (rest === undefined) {
    const s = await statOrUndefined(pattern);
    return s?.isFile() ? [path.resolve(pattern)] : [];
  }
  const root = path.resolve(base);
  // tinyglobby reads a `**` inside a segment (`a**`) as `*`; Beam's glob lets it cross
  // segments, so such a pattern walks everything under its base and the matcher decides.
  const walk = /(^|[^/])\*\*|\*\*(?=[^/])/.test(rest) ? "**" : toLibraryGlob(rest);
  const files = await glob(walk, {
    cwd: root,
    absolute: true,
    dot: true,
    onlyFiles: true,
    extglob: false,
    expandDirectories: false,
    followSymbolicLinks: true,
  });
  // The library also lets `dir/**` match a file named `dir`; the object stores' matcher is
  // the one reading of Beam's syntax, so every file system returns the same files.
  const matcher = globMatcher(rest);
  return files.filter((f) => matcher.matches(path.relative(root, f).split(path.sep).join("/"))).sort();
}

async function statOrUndefined(p: string) {
  try {
    return await stat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}
