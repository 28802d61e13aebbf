/**
 * State larger than memory (issue #21, runtime/state/cold-tier.ts): a streaming job counts
 * per key in value state, `--keys` keys (default 1,000,000) hit in a scattered order by
 * `--elements` elements (default 2,000,000), every window expiring at the end. Each run is a
 * child process with its own heap limit:
 *
 * - in memory (no --memoryBudget) and with `--memoryBudget=128MB` (cold entries), in a
 *   heap of `--bigHeapMB` (default 4096): the cost of going through the disk when the
 *   state would have fit, as a ratio;
 * - the same two in a heap of `--smallHeapMB` (default 1024), which 1M keys of in-memory
 *   state do not fit: whether each finishes.
 *
 * Prints the figures and writes them as the "cold-state" section of bench/RESULTS.md.
 *
 *   npm run bench:cold-state
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Pipeline, StateSpecs, defineOptions, generateSequence, kv, map, option, statefulParDo, type KV } from "../src/index.js";
import { writeSection } from "./results-section.js";

const Options = defineOptions({
  child: option.boolean({ description: "Run one job and print its figures (internal)", default: false }),
  budget: option.string({ description: "The child's --memoryBudget (none: in memory)", default: "none" }),
  keys: option.integer({ description: "Distinct keys", default: 1_000_000, min: 1 }),
  elements: option.integer({ description: "Elements", default: 2_000_000, min: 1 }),
  bigHeapMB: option.integer({ description: "Heap limit where the state fits", default: 4096, min: 64 }),
  smallHeapMB: option.integer({ description: "Heap limit where it does not", default: 1024, min: 64 }),
});
const options = Options.parseOrExit(process.argv.slice(2), "bench:cold-state");

interface ChildResult {
  readonly seconds: number;
  readonly elementsPerSec: number;
  readonly spilledBytes: number;
  readonly peakHeapMB: number;
}

if (options.child) {
  const started = performance.now();
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 250);
  const keys = options.keys;
  const p = new Pipeline({ memoryBudget: options.budget, enforceImmutability: false, enforceEncodability: false });
  p.apply(generateSequence({ from: 0, to: options.elements, rate: { elements: 1e9, period: 1000 } }))
    // A multiplicative hash scatters the keys: each element's key was last used long ago.
    .apply(map((n: number) => kv(`user-${(Math.imul(n, 2654435761) >>> 0) % keys}`, n)))
    .apply(
      "Count",
      statefulParDo({
        state: { n: StateSpecs.value<number>() },
        process(e: KV<string, number>, ctx) {
          ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
        },
      }),
    );
  const result = p.run();
  await result.waitUntilFinish();
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const spilledBytes = result
    .metrics()
    .queryMetrics()
    .counters.filter((c) => c.name === "spilledBytes")
    .reduce((n, c) => n + c.committed, 0);
  const out: ChildResult = { seconds, elementsPerSec: options.elements / seconds, spilledBytes, peakHeapMB: peakHeap / 2 ** 20 };
  console.log(JSON.stringify(out));
  process.exit(0);
}

function runChild(budget: string, heapMB: number): ChildResult | "out of memory" {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    process.execPath,
    [`--max-old-space-size=${heapMB}`, "--import", "tsx", self, "--child", `--budget=${budget}`, `--keys=${options.keys}`, `--elements=${options.elements}`],
    { encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) {
    if (/heap out of memory/.test(r.stderr)) return "out of memory";
    throw new Error(`bench:cold-state child (${budget}, ${heapMB} MB) failed: ${r.stderr.slice(-2000)}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult;
}

const rows: { heapMB: number; budget: string; result: ChildResult | "out of memory" }[] = [];
for (const heapMB of [options.bigHeapMB, options.smallHeapMB]) {
  for (const budget of ["none", "128MB"]) {
    const result = runChild(budget, heapMB);
    rows.push({ heapMB, budget, result });
    console.log(heapMB, budget, JSON.stringify(result));
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const big = rows.filter((r) => r.heapMB === options.bigHeapMB);
const inMemory = big[0]!.result;
const cold = big[1]!.result;
const ratio = typeof inMemory === "object" && typeof cold === "object" ? (cold.elementsPerSec / inMemory.elementsPerSec).toFixed(2) : "—";
const lines = [
  "## State larger than memory (cold entries)",
  "",
  `Written by \`npm run bench:cold-state\` on ${new Date().toISOString().slice(0, 10)}; Node ${process.version}, ${os.cpus().length} cores, 1-minute load at the end ${os.loadavg()[0]!.toFixed(2)}.`,
  `A streaming job counts per key in value state: ${fmt(options.keys)} keys hit in a scattered order by ${fmt(options.elements)} elements, every window expiring at the end. Peak heap is sampled every 250 ms (garbage included).`,
  "",
  "| heap limit | --memoryBudget | elements/s | seconds | written to the cold file | peak heap |",
  "|---|---|---:|---:|---:|---:|",
  ...rows.map(({ heapMB, budget, result }) =>
    typeof result === "string"
      ? `| ${heapMB} MB | ${budget === "none" ? "none (in memory)" : budget} | ${result} | | | |`
      : `| ${heapMB} MB | ${budget === "none" ? "none (in memory)" : budget} | ${fmt(result.elementsPerSec)} | ${result.seconds.toFixed(1)} | ${(result.spilledBytes / 2 ** 20).toFixed(1)} MiB | ${fmt(result.peakHeapMB)} MB |`,
  ),
  "",
  `Cold entries over in memory, where the state fits: ${ratio}.`,
];
writeSection(path.join(import.meta.dirname, "RESULTS.md"), "cold-state", lines.join("\n"));
console.log(lines.join("\n"));
