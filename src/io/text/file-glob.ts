import { readdir, stat } from "node:fs/promises";
import path from "node:path";

/** True if a path segment contains a glob wildcard (`*`, `?` or `[`). */
export function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/**
 * Compiles the wildcard part of a glob (segments separated by "/") to a RegExp matched
 * against a "/"-separated relative path. `*` and `?` stay within one segment, `**`
 * crosses segments (`a/**` + `/b` also matches `a/b`), `[abc]`, `[a-z]` and `[!abc]` are
 * character classes; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const startOfSegment = i === 0 || glob[i - 1] === "/";
        i++;
        if (startOfSegment && glob[i + 1] === "/") {
          // "**/" matches zero or more whole directories.
          re += "(?:[^/]*/)*";
          i++;
        } else {
          re += ".*";
        }
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, close);
      let negate = false;
      if (body.startsWith("!") || body.startsWith("^")) {
        negate = true;
        body = body.slice(1);
      }
      const cls = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += negate ? `[^/${cls}]` : `[${cls}]`;
      i = close;
    } else {
      re += c.replace(/[.+^${}()|\\\]]/g, (m) => `\\${m}`);
    }
  }
  return new RegExp(`^${re}$`);
}

/** Splits a pattern into the directory to walk from and the wildcard rest (undefined for a literal path). */
export function splitGlob(pattern: string): { base: string; rest: string | undefined } {
  const segments = pattern.split("/");
  const first = segments.findIndex(hasWildcard);
  if (first < 0) return { base: pattern, rest: undefined };
  const baseSegments = segments.slice(0, first);
  const base = baseSegments.length === 0 ? "." : baseSegments.join("/") || "/";
  return { base, rest: segments.slice(first).join("/") };
}

/**
 * The files matching a glob pattern, as absolute paths in sorted order. A literal path
 * matches itself if it is a file. A wildcard pattern is matched against every file
 * found by walking the directory named by its segments before the first wildcard
 * (only as deep as the pattern can reach unless it has `**`). Directories never match.
 * A missing base directory matches nothing.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const { base, rest } = splitGlob(pattern);
  if (rest === undefined) {
    const s = await statOrUndefined(pattern);
    return s?.isFile() ? [path.resolve(pattern)] : [];
  }
  const regex = globToRegExp(rest);
  const maxDepth = rest.includes("**") ? Infinity : rest.split("/").length;
  const root = path.resolve(base);
  const matches: string[] = [];
  await walk(root, "", 1, maxDepth, (rel) => {
    if (regex.test(rel)) matches.push(path.join(root, rel));
  });
  return matches.sort();
}

async function walk(dir: string, rel: string, depth: number, maxDepth: number, onFile: (rel: string) => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw err;
  }
  for (const entry of entries) {
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    const child = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const s = await statOrUndefined(child);
      // Follow links to directories only for bounded walks, so a link cycle cannot loop under "**".
      isDir = (s?.isDirectory() ?? false) && maxDepth !== Infinity;
      isFile = s?.isFile() ?? false;
    }
    if (isFile) onFile(childRel);
    else if (isDir && depth < maxDepth) await walk(child, childRel, depth + 1, maxDepth, onFile);
  }
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
