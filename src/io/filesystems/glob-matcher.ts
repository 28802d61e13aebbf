import picomatch from "picomatch/posix.js";

/**
 * Beam's glob syntax for object stores, whose "directories" are key prefixes and cannot be
 * walked: a pattern becomes the literal prefix to list by and a predicate over the listed
 * keys. The syntax is Java's `glob:` PathMatcher, as the local file system reads it: `*` and
 * `?` match within one `/`-separated segment (dot files too), `**` any number of segments
 * (none included), `[a-c]` / `[!a-c]` one character of (not of) a class, `{a,b}` either
 * alternative (also across segments), `\` escapes the next character; `(`, `)`, `|` and a
 * leading `!` are literal (they are extglob and negation in picomatch's dialect).
 */

/** A compiled glob pattern. */
export interface GlobMatcher {
  /** The pattern as given. */
  readonly pattern: string;
  /** The characters before the first wildcard, unescaped: every match starts with it (list by it). */
  readonly literalPrefix: string;
  /** The path the pattern names when it has no wildcard (unescaped), else undefined. */
  readonly literalPath: string | undefined;
  /** Whether a `/`-separated path matches the whole pattern. */
  matches(path: string): boolean;
}

const WILDCARDS = new Set(["*", "?", "[", "{"]);

/**
 * Compiles a glob pattern.
 *
 * @example
 * const m = globMatcher("logs/2024-*\/{a,b}.txt");
 * m.literalPrefix; // "logs/2024-"
 * m.matches("logs/2024-01/a.txt"); // true
 */
export function globMatcher(pattern: string): GlobMatcher {
  let literal = "";
  let wildcardAt = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) {
      literal += pattern[++i]!;
    } else if (WILDCARDS.has(c)) {
      wildcardAt = i;
      break;
    } else {
      literal += c;
    }
  }
  if (wildcardAt < 0) {
    return { pattern, literalPrefix: literal, literalPath: literal, matches: (path) => path === literal };
  }
  const test = picomatch(toPicomatch(pattern), {
    dot: true,
    noextglob: true,
    nonegate: true,
    // `[!a-c]` is a negated class only in picomatch's POSIX bracket mode (otherwise `!` is a member).
    posix: true,
    // A trailing `/**` needs the `/`: `dir/**` never matches a file named `dir`, as in Beam's
    // globs (`dir/.*`). Otherwise these are the options of the local file system's walk.
    strictSlashes: true,
  });
  // The literal prefix is compared as written: picomatch alone would let `./*` match `a`
  // (it drops a leading `./`), but an object key `./x` is not `x`.
  return { pattern, literalPrefix: literal, literalPath: undefined, matches: (path) => path.startsWith(literal) && test(path) };
}

/** Escapes what picomatch reads as extglob groups or negation but Beam's glob takes literally. */
function toPicomatch(pattern: string): string {
  let out = pattern.startsWith("!") ? "\\" : "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") out += pattern.slice(i, ++i + 1); // an escape and the character it escapes
    else out += c === "(" || c === ")" || c === "|" ? `\\${c}` : c;
  }
  return out;
}

/** True when a pattern has an unescaped wildcard (`*`, `?`, `[`, `{`). */
export function hasGlobWildcard(pattern: string): boolean {
  return globMatcher(pattern).literalPath === undefined;
}
