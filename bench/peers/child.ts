/**
 * One measured run of `npm run bench:peers`, in its own process (so that no heap state
 * leaks between runs):
 *
 *   tsx bench/peers/child.ts --system=beam-ts|handwritten --query=N --numEvents=M
 *       [--numEventGenerators=G] [--parallelism=P]
 *
 * beam-ts runs the query through bench/nexmark's runQuery on the embedded runner (results
 * counted, as Beam's COUNT_ONLY sink); `--parallelism` is handed to the runner as a
 * pipeline option; query 6 also records its final averages (bench/nexmark/queries/final-averages.ts).
 * handwritten runs bench/peers/handwritten.ts. Prints one line
 * `BENCH_PEERS_RESULT {"query":…,"seconds":…,"eventsPerSec":…,"resultCount":…[,"finalAverages":{…}]}`.
 */
import { nexmarkConfiguration } from "../nexmark/config.js";
import type { FinalAverages } from "../nexmark/queries/final-averages.js";
import { runQuery } from "../nexmark/run-query.js";
import { runHandwritten } from "./handwritten.js";

const RESULT_PREFIX = "BENCH_PEERS_RESULT ";

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function intArg(name: string, fallback?: number): number {
  const s = arg(name);
  const v = s === undefined ? fallback : Number(s);
  if (v === undefined || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`bench/peers/child: --${name} must be a non-negative integer, got ${String(s)}.`);
  return v;
}

async function main(): Promise<void> {
  const system = arg("system");
  const query = intArg("query");
  const config = nexmarkConfiguration({ numEvents: intArg("numEvents"), numEventGenerators: intArg("numEventGenerators", 100) });
  let result: { seconds: number; eventsPerSec: number; resultCount: number; threadStartupSec?: number | undefined; finalAverages?: FinalAverages | undefined };
  if (system === "beam-ts") {
    const parallelism = arg("parallelism");
    const pipelineOptions = parallelism === undefined ? {} : { parallelism: intArg("parallelism") };
    result = await runQuery(config, query, { pipelineOptions, finalAverages: true });
  } else if (system === "handwritten") {
    result = runHandwritten(config, query);
  } else {
    throw new RangeError(`bench/peers/child: --system must be beam-ts or handwritten, got ${String(system)}.`);
  }
  const { seconds, eventsPerSec, resultCount, threadStartupSec, finalAverages } = result;
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ query, seconds, eventsPerSec, resultCount, threadStartupSec, finalAverages })}\n`);
}

await main();
