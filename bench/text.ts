/**
 * Deterministic synthetic English-like text for the wordcount benchmark: words drawn from
 * a Zipf-like distribution over a generated vocabulary, so counts look like real text.
 */
export function syntheticLines(targetBytes: number, seed = 42): string[] {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const letters = "etaoinshrdlcumwfgypbvkjxqz";
  const vocab: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const len = 2 + Math.floor(rand() * 8);
    let w = "";
    for (let j = 0; j < len; j++) w += letters[Math.floor(rand() * rand() * letters.length)];
    vocab.push(i % 7 === 0 ? w[0]!.toUpperCase() + w.slice(1) : w);
  }
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    const n = 6 + Math.floor(rand() * 12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(vocab[Math.floor(vocab.length * rand() ** 3)]!);
    const line = words.join(rand() < 0.1 ? ", " : " ") + ".";
    lines.push(line);
    bytes += line.length + 1;
  }
  return lines;
}

/** How many words `lines` hold, as the wordcount splits them. */
export function countWords(lines: readonly string[]): number {
  let n = 0;
  for (const l of lines) for (const w of l.toLowerCase().split(/[^a-z]+/)) if (w.length > 0) n++;
  return n;
}
