import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sectionNames, sectionsOf, withSection } from "./results-section.js";

/** Markdown-ish text without section markers. */
const text = fc.array(fc.constantFrom("# Results\n", "| a | b |\n", "\n", "text ", "<!-- comment -->\n", "x"), { maxLength: 12 }).map((parts) => parts.join(""));

describe("sections of RESULTS.md", () => {
  it("appends a section the file lacks, after a blank line, and finds it again", () => {
    const out = withSection("# Benchmark results\n\nkept\n", "checkpoints", "## Checkpoints\n\nnew\n");
    expect(out).toBe("# Benchmark results\n\nkept\n\n<!-- checkpoints:start -->\n## Checkpoints\n\nnew\n<!-- checkpoints:end -->\n");
    expect(sectionsOf(out, ["checkpoints"])).toEqual(["<!-- checkpoints:start -->\n## Checkpoints\n\nnew\n<!-- checkpoints:end -->"]);
  });

  it("replaces only its own section and leaves the text around it and other sections as they were", () => {
    fc.assert(
      fc.property(text, text, text, fc.string(), fc.string(), (before, between, after, oldBody, newBody) => {
        const other = "<!-- nexmark:start -->\nNexmark\n<!-- nexmark:end -->";
        const file = withSection(`${before}${other}${between}`, "checkpoints", oldBody.replace(/<!--/g, "")) + after;
        const next = withSection(file, "checkpoints", newBody.replace(/<!--/g, ""));
        const [kept] = sectionsOf(next, ["nexmark"]);
        expect(kept).toBe(other);
        expect(next.startsWith(`${before}${other}${between}`)).toBe(true);
        expect(next.endsWith(after)).toBe(true);
        // Writing the same section twice changes nothing the second time.
        expect(withSection(next, "checkpoints", newBody.replace(/<!--/g, ""))).toBe(next);
      }),
    );
  });

  it("keeps the sections in the order asked for, and only those present", () => {
    const file = withSection(withSection("top\n", "nexmark", "N"), "checkpoints", "C");
    expect(sectionsOf(file, ["checkpoints", "missing", "nexmark"])).toEqual([
      "<!-- checkpoints:start -->\nC\n<!-- checkpoints:end -->",
      "<!-- nexmark:start -->\nN\n<!-- nexmark:end -->",
    ]);
  });

  it("names every complete section in file order, so a rewrite of the file keeps sections it does not know", () => {
    const file = withSection(withSection(withSection("top\n", "spill", "S"), "nexmark-sql", "Q"), "checkpoints", "C") + "<!-- broken:start -->\n";
    expect(sectionNames(file)).toEqual(["spill", "nexmark-sql", "checkpoints"]);
    expect(sectionsOf(file, sectionNames(file))).toHaveLength(3);
  });
});
