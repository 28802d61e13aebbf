/**
 * How long `--parallelism` worker threads take to start: each run is a fresh process
 * running a small job on 2 threads; the job's `threadStartupMillis` gauge is the time from
 * the job's start until every worker thread has rebuilt the pipeline and is ready to take
 * work (docs/ARCHITECTURE.md, "Parallel execution").
 *
 *   npm run bench:threads -- --runs=7
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Pipeline, combineGlobally, defineOptions, generateSequence, map, option, sum } from "../src/index.js";

const Options = defineOptions({
  runs: option.integer({ description: "Processes to start (one job each)", default: 5, min: 1 }),
  child: option.boolean({ description: "Run one job and print its figures (used by the driver)" }),
});
const options = Options.parseOrExit(process.argv.slice(2), "bench:threads");

if (options.child) {
  const started = performance.now();
  const p = new Pipeline({ parallelism: 2 });
  p.apply(generateSequence({ to: 100_000 }))
    .apply(map((n: number) => n % 7))
    .apply(combineGlobally(sum()));
  const result = p.run();
  await result.waitUntilFinish();
  const gauge = result.metrics().queryMetrics({ name: "threadStartupMillis" }).gauges[0];
  process.stdout.write(`${JSON.stringify({ threadStartupMillis: gauge?.committed.value, jobMillis: Math.round(performance.now() - started) })}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const figures: { threadStartupMillis: number; jobMillis: number }[] = [];
  for (let i = 0; i < options.runs; i++) {
    // The same loader as this process (tsx), so the job runs as `npm run` runs it.
    const r = spawnSync(process.execPath, [...process.execArgv, self, "--child"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`run ${i} failed (${r.status}): ${r.stderr}`);
    figures.push(JSON.parse(r.stdout.trim().split("\n").pop()!));
  }
  // The floor: a worker thread that loads nothing but posts a message, in the same run.
  const empty: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const started = performance.now();
    const w = new Worker(`require("node:worker_threads").parentPort.postMessage(0)`, { eval: true });
    await new Promise((resolve) => w.once("message", resolve));
    empty.push(Math.round(performance.now() - started));
    await w.terminate();
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const startups = figures.map((f) => f.threadStartupMillis);
  const jobs = figures.map((f) => f.jobMillis);
  process.stdout.write(
    `thread start-up (ms): median ${median([...startups])}, min ${Math.min(...startups)}, max ${Math.max(...startups)}\n` +
      `whole job of 100,000 elements on 2 threads (ms): median ${median([...jobs])}\n` +
      `an empty worker thread (ms): median ${median([...empty])}; beam-ts thread / empty thread: ${(median([...startups]) / median([...empty])).toFixed(1)}\n`,
  );
}
