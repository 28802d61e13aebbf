/**
 * `npm run bench:peers`: Nexmark on beam-ts and its peers, side by side on this machine.
 *
 *   npm run bench:peers -- [--sizes=1000000,10000000] [--queries=0,1,2]
 *       [--systems=beam-ts,handwritten,python-prism,java-direct,java-flink] [--timeoutSec=600]
 *       [--numEventGenerators=100]
 *
 * Writes bench/nexmark-results.json and the Nexmark section of bench/RESULTS.md (see
 * orchestrator.ts and bench/README.md).
 */
import path from "node:path";
import { runPeers, SYSTEM_GROUPS, type SystemGroup } from "./orchestrator.js";

const USAGE =
  "usage: npm run bench:peers -- [--sizes=1000000,10000000] [--queries=0,1,2] " +
  `[--systems=${SYSTEM_GROUPS.join(",")}] [--timeoutSec=600] [--numEventGenerators=100]`;

function fail(message: string): never {
  process.stderr.write(`bench:peers: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: readonly string[]): Record<string, string> {
  const known = new Set(["sizes", "queries", "systems", "timeoutSec", "numEventGenerators"]);
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([A-Za-z]+)=(.*)$/.exec(a);
    if (m === null || !known.has(m[1]!)) fail(`unknown argument ${a}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

const ints = (name: string, s: string, min: number): number[] =>
  s.split(",").map((x) => {
    const v = Number(x.trim());
    if (!Number.isSafeInteger(v) || v < min) fail(`--${name}: ${x} is not an integer >= ${min}`);
    return v;
  });

const args = parse(process.argv.slice(2));
const systems = (args["systems"] ?? SYSTEM_GROUPS.join(",")).split(",").map((s) => s.trim());
for (const s of systems) if (!(SYSTEM_GROUPS as readonly string[]).includes(s)) fail(`--systems: unknown system ${s}`);
const root = path.resolve(import.meta.dirname, "..", "..");
const bench = path.join(root, "bench");

await runPeers({
  sizes: ints("sizes", args["sizes"] ?? "1000000,10000000", 1),
  queries: ints("queries", args["queries"] ?? "0,1,2", 0),
  systems: systems as SystemGroup[],
  timeoutSec: ints("timeoutSec", args["timeoutSec"] ?? "600", 1)[0]!,
  numEventGenerators: ints("numEventGenerators", args["numEventGenerators"] ?? "100", 1)[0]!,
  root,
  jsonPath: path.join(bench, "nexmark-results.json"),
  markdownPath: path.join(bench, "RESULTS.md"),
  // Events files for Beam Python (1M events: 160 MB), next to the runners' cache.
  cacheDir: process.env["BEAM_TS_CACHE"] ? path.resolve(process.env["BEAM_TS_CACHE"], "bench-nexmark") : path.join(root, ".cache", "bench-nexmark"),
  invocation: ["npm run bench:peers", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
});
process.stderr.write(`bench:peers: wrote ${path.relative(root, path.join(bench, "nexmark-results.json"))} and the Nexmark section of bench/RESULTS.md\n`);
