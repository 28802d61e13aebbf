import { countPerElement, flatMap, map, ptransform, type KV, type PCollection } from "../../src/index.js";

/** Lower-cased words: runs of letters (any script); everything else separates words. */
export function words(line: string): string[] {
  return line.toLowerCase().split(/[^\p{L}]+/u).filter((w) => w.length > 0);
}

/** Lines of text in, `word: count` lines out. */
export const countWords = () =>
  ptransform("CountWords", (lines: PCollection<string>) =>
    lines
      .apply("ExtractWords", flatMap(words))
      .apply("Count", countPerElement<string>())
      .apply("Format", map(({ key, value }: KV<string, number>) => `${key}: ${value}`)),
  );
