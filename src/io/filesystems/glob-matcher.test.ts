import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globMatcher, hasGlobWildcard } from "./glob-matcher.js";

/** Escapes every character Beam's glob gives a meaning, so the pattern names the text itself. */
const escapeGlob = (text: string) => text.replace(/[\\*?[\]{}]/g, (c) => `\\${c}`);

describe("glob matcher (Beam's glob syntax for object keys)", () => {
  it("lists by the literal text before the first wildcard, unescaped", () => {
    expect(globMatcher("logs/2024-*/x.txt").literalPrefix).toBe("logs/2024-");
    expect(globMatcher("a\\*b/c?.txt").literalPrefix).toBe("a*b/c");
    expect(globMatcher("{a,b}/x").literalPrefix).toBe("");
    expect(globMatcher("dir/[ab].txt").literalPrefix).toBe("dir/");
  });

  it("names one path when the pattern has no wildcard, escapes included", () => {
    expect(globMatcher("dir/a.txt").literalPath).toBe("dir/a.txt");
    expect(globMatcher("dir/a\\*.txt").literalPath).toBe("dir/a*.txt");
    expect(globMatcher("dir/(1)!.txt").literalPath).toBe("dir/(1)!.txt");
    expect(hasGlobWildcard("dir/*.txt")).toBe(true);
    expect(hasGlobWildcard("dir/\\*.txt")).toBe(false);
  });

  it("keeps * and ? within a segment and lets ** cross segments, dot files included", () => {
    const star = globMatcher("d/*.txt");
    expect(star.matches("d/a.txt")).toBe(true);
    expect(star.matches("d/.a.txt")).toBe(true);
    expect(star.matches("d/e/a.txt")).toBe(false);
    const deep = globMatcher("d/**/a.txt");
    expect(deep.matches("d/a.txt")).toBe(true);
    expect(deep.matches("d/x/.y/a.txt")).toBe(true);
    expect(globMatcher("d/?").matches("d/xy")).toBe(false);
  });

  it("reads classes, negated classes and alternatives, and takes ( ) | and a leading ! literally", () => {
    expect(globMatcher("[!ab].txt").matches("c.txt")).toBe(true);
    expect(globMatcher("[!ab].txt").matches("a.txt")).toBe(false);
    expect(globMatcher("[!ab].txt").matches("!.txt")).toBe(true);
    expect(globMatcher("[a-c]*").matches("bz")).toBe(true);
    expect(globMatcher("{x/y,z}.txt").matches("x/y.txt")).toBe(true);
    expect(globMatcher("*(1).txt").matches("a(1).txt")).toBe(true);
    expect(globMatcher("*(1).txt").matches("a1.txt")).toBe(false);
    expect(globMatcher("!*.txt").matches("!a.txt")).toBe(true);
    expect(globMatcher("!*.txt").matches("a.txt")).toBe(false);
    expect(globMatcher("a|b*").matches("a|bc")).toBe(true);
  });

  it("needs the slash of a trailing /** (dir/** is what is under dir, not a file named dir), as Beam's globs", () => {
    expect(globMatcher("a/**").matches("a")).toBe(false);
    expect(globMatcher("a/**").matches("a/b/c")).toBe(true);
    expect(globMatcher("**/a/**").matches("b/a")).toBe(false);
    expect(globMatcher("**/a/**").matches("b/a/c")).toBe(true);
  });

  it("matches exactly the escaped text, for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "/", "*", "?", "[", "]", "{", "}", ",", "\\", "(", ")", "!", ".", "-") }), fc.string(), (name, other) => {
        const m = globMatcher(escapeGlob(name));
        expect(m.literalPath).toBe(name);
        expect(m.matches(name)).toBe(true);
        expect(m.matches(other)).toBe(other === name);
      }),
    );
  });

  it("only matches paths that start with its literal prefix", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "/", ".") }), fc.constantFrom("*", "?", "**", "[ab]", "{a,b}"), fc.string({ unit: fc.constantFrom("a", "b", "/", ".") }), (head, wildcard, path) => {
        const m = globMatcher(`${head}${wildcard}`);
        if (m.matches(path)) expect(path.startsWith(m.literalPrefix)).toBe(true);
        expect(m.literalPrefix).toBe(head);
      }),
    );
  });
});

describe("glob matcher against the local file system's glob (differential)", () => {
  /** A tree with dot files, dot folders, nesting and names that share prefixes. */
  const TREE = [
    "a", "b", "ab", "ba", "a.x", ".a", ".b.x", "a-b", "x", "xx",
    "a/a", "a/b", "a/.a", "a/ab.x", "b/a", "b/b/a", "b/b/b", "b/.b/a", ".a/a", ".a/b.x",
    "x/a/b/a", "x/a/b/x", "x/b/a", "ab/a.x", "ab/b", "a-b/x",
  ];
  const segment = fc
    .array(fc.constantFrom("a", "b", "x", ".", "-", "*", "?", "[ab]", "[!a]", "{a,b}", "{a,x/a}"), { minLength: 1, maxLength: 3 })
    .map((tokens) => tokens.join(""))
    // "." and ".." are relative steps on a disk and plain names in an object store: not compared.
    // `**` inside a segment (`a**`) crosses "/" (Java's and Python's globs): the local walk then
    // lists everything under its base, so no file is pruned away before the matcher decides.
    .filter((seg) => seg !== "." && seg !== "..");
  const pattern = fc
    .array(fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: fc.constant("**") }), { minLength: 1, maxLength: 4 })
    .map((s) => s.join("/"));

  it("matches the same files as a walk of the directory for any pattern", async () => {
    const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { expandGlob } = await import("./local-glob.js");
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-glob-"));
    try {
      // A name that is a file in one place is a folder elsewhere, as in object stores ("a" and "a/a").
      for (const f of TREE) {
        const file = path.join(dir, f.includes("/") ? f : `${f}.f`);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, f);
      }
      const keys = TREE.map((f) => (f.includes("/") ? f : `${f}.f`));
      await fc.assert(
        fc.asyncProperty(pattern, async (p) => {
          const local = (await expandGlob(`${dir}/${p}`)).map((f) => f.slice(dir.length + 1)).sort();
          const m = globMatcher(p);
          const ours = keys.filter((k) => m.matches(k)).sort();
          expect({ p, ours }).toEqual({ p, ours: local });
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
