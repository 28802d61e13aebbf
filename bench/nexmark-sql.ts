/**
 * Beam's Nexmark SQL queries against the hand-written beam-ts queries of the same numbers,
 * on the embedded runner in batch:
 *
 *   npx tsx bench/nexmark-sql.ts [--numEvents=100000] [--runs=3] [--query=0,1,2,3,5,7] [--immutabilityCheck=false]
 *
 * Runs each pair alternately `runs` times after one warm-up and prints the median seconds of
 * each and their ratio (SQL / hand-written; the target is at most 1.5).
 */
import { defineOptions, option } from "../src/index.js";
import { nexmarkConfiguration } from "./nexmark/config.js";
import { SQL_QUERIES } from "./nexmark/queries/sql-queries.js";
import { runQuery } from "./nexmark/run-query.js";

const Options = defineOptions({
  numEvents: option.integer({ description: "Events to generate", default: 100_000, min: 1 }),
  runs: option.integer({ description: "Measured runs of each query", default: 3, min: 1 }),
  query: option.string({ description: "Query numbers", default: Object.keys(SQL_QUERIES).join(",") }),
  immutabilityCheck: option.boolean({ description: "Keep the embedded runner's immutability check (it encodes every output)", default: true }),
});

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const options = Options.parseOrExit(process.argv.slice(2), "nexmark-sql");
  const config = nexmarkConfiguration({ numEvents: options.numEvents });
  console.log(`| query | hand-written (s) | SQL (s) | SQL / hand-written | results |`);
  console.log(`|---|---|---|---|---|`);
  for (const query of options.query.split(",").map(Number)) {
    const hand: number[] = [];
    const sqlTimes: number[] = [];
    let counts = "";
    for (let i = 0; i <= options.runs; i++) {
      const pipelineOptions = { enforceImmutability: options.immutabilityCheck };
      const h = await runQuery(config, query, { pipelineOptions });
      const s = await runQuery(config, query, { queries: SQL_QUERIES, pipelineOptions });
      counts = `${h.resultCount} / ${s.resultCount}`;
      // The first pair warms the JIT and the module caches.
      if (i > 0) {
        hand.push(h.seconds);
        sqlTimes.push(s.seconds);
      }
    }
    const [h, s] = [median(hand), median(sqlTimes)];
    console.log(`| ${query} | ${h.toFixed(3)} | ${s.toFixed(3)} | ${(s / h).toFixed(2)} | ${counts} |`);
  }
}

await main();
