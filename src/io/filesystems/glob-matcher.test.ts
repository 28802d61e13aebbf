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
