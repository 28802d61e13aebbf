/**
 * What --enforceImmutability and --enforceEncodability cost (docs/ARCHITECTURE.md,
 * "Immutability and encodability"): a map → groupByKey → map pipeline over plain objects,
 * run with each setting in turn in the same process (runs interleaved, the median of
 * `--repeats` taken), at a size checked in full (10,000 elements) and a size that is
 * sampled past its first 10,000 elements. Prints each setting's time and its ratio to both
 * checks off.
 *
 *   npm run bench:enforcement -- --elements=1000000 --repeats=5
 */
import { Pipeline, combineGlobally, defineOptions, generateSequence, groupByKey, kv, map, option, sum, type KV } from "../src/index.js";

const Options = defineOptions({
  elements: option.integer({ description: "Elements of the large run", default: 1_000_000, min: 1 }),
  repeats: option.integer({ description: "Runs of each setting (the median is reported)", default: 5, min: 1 }),
});
const options = Options.parseOrExit(process.argv.slice(2), "bench:enforcement");

interface Bid {
  readonly auction: number;
  readonly bidder: string;
  readonly price: number;
  readonly tags: readonly string[];
}

const SETTINGS = {
  "both off": { enforceImmutability: false, enforceEncodability: false },
  "immutability only": { enforceImmutability: true, enforceEncodability: false },
  "encodability only": { enforceImmutability: false, enforceEncodability: true },
  "both on (default)": {},
} as const;

async function runOnce(elements: number, settings: Record<string, unknown>): Promise<number> {
  const p = new Pipeline({ ...settings, memoryBudget: "none" });
  p.apply(generateSequence({ to: elements }))
    .apply(
      "ToBid",
      map((n: number): KV<number, Bid> => kv(n % 1000, { auction: n % 1000, bidder: `bidder-${n % 7919}`, price: n * 1.5, tags: ["a", "bc"] })),
    )
    .apply(groupByKey())
    .apply("Count", map((g: KV<number, Iterable<Bid>>) => [...g.value].length))
    .apply(combineGlobally(sum()));
  const started = performance.now();
  await p.run().waitUntilFinish();
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const elements of [10_000, options.elements]) {
  const times = new Map<string, number[]>(Object.keys(SETTINGS).map((k) => [k, []]));
  await runOnce(elements, {}); // warm-up
  for (let r = 0; r < options.repeats; r++) {
    for (const [name, settings] of Object.entries(SETTINGS)) times.get(name)!.push(await runOnce(elements, settings));
  }
  const base = median(times.get("both off")!);
  process.stdout.write(`${elements.toLocaleString("en")} elements (map → groupByKey → map), median of ${options.repeats}:\n`);
  for (const [name, xs] of times) {
    const m = median(xs);
    process.stdout.write(`  ${name.padEnd(20)} ${m.toFixed(0).padStart(7)} ms  ×${(m / base).toFixed(2)}\n`);
  }
}
